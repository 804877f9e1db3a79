package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestImportSpanishFile imports a file as an association writes it: Spanish
// column names with accents, the standard's Spanish colour and group names,
// members and the classifier named by DNI. millwactl speaks Spanish by
// default, prints each lot it created in the API's words, then the lots
// graded differently; --lang en speaks English, to the server too.
func TestImportSpanishFile(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServer(t, dbURL)
		a := ts.newAssociation(t, 3) // members' DNIs 40000000 to 40000002, the classifier's 39999999
		other := ts.newAssociation(t, 1)
		file := filepath.Join(t.TempDir(), "lotes.csv")
		content := "Número_Lote,Campaña,Raza,Color,Grupo,Clasificador,Peso neto kg,Precio_Soles,Centro_Acopio,Diámetro_um,socio_1,kg_1,socio_2,gramos_2\n" +
			"L-1,2026,Huacaya,Blanco,Baby,39999999,46,22.50,Ichu,,40000000,30," + a.members[1] + ",16000\n" +
			"L-2,2026,huacaya,Beige claro,Gruesa," + a.classifier + ",20,18,Ichu,21.5,40000001,20,,\n" +
			"L-3,2026,SURI,café oscuro,Medium Fleece,39999999,10.5,15,Ichu,,40000002,10.5,,\n" +
			"L-4,2026,Huacaya,LF,alpaca corta,39999999,5,8,Ichu,,40000000,5,,\n"
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{envKey: a.secret, envServer: ts.addr}
		stdout, stderr, err := run(t, env, "lots", "import", file, "--association", a.name)
		if err != nil {
			t.Fatalf("import: %v\nstderr:\n%s\nstdout:\n%s", err, stderr, stdout)
		}
		for _, want := range []string{"lotes creados: 4 en 1 tandas\n", "líneas con errores: 0\n", "avance: 4/4 lotes"} {
			if !strings.Contains(stdout+stderr, want) {
				t.Errorf("output lacks %q:\nstdout:\n%s\nstderr:\n%s", want, stdout, stderr)
			}
		}
		created := regexp.MustCompile(`(?m)^se creó el lote (associations/\S+/lots/\S+) \((L-\d)\)$`).FindAllStringSubmatch(stdout, -1)
		if len(created) != 4 {
			t.Fatalf("stdout names %d created lots, want 4 as \"se creó el lote NAME (NUMBER)\":\n%s", len(created), stdout)
		}

		// The server holds the codes and the members and classifier the
		// names and DNIs stand for.
		want := map[string][5]string{
			"L-1": {"WHITE", "BABY", a.classifier, a.members[0], a.members[1]},
			"L-2": {"LIGHT_FAWN", "COARSE", a.classifier, a.members[1], ""},
			"L-3": {"DARK_BROWN", "MEDIUM_FLEECE", a.classifier, a.members[2], ""},
			"L-4": {"LIGHT_FAWN", "SHORT", a.classifier, a.members[0], ""},
		}
		reg := millwav1.NewRegistryServiceClient(ts.admin)
		var market string
		for _, c := range created {
			lot, err := reg.GetLot(t.Context(), &millwav1.GetLotRequest{Name: c[1]})
			if err != nil {
				t.Fatalf("GetLot %s: %v", c[1], err)
			}
			l := lot.GetLot()
			got := [5]string{l.GetColour(), l.GetDeclaredQualityGroup(), l.GetClassifier()}
			for i, contrib := range l.GetContributions() {
				got[3+i] = contrib.GetMember()
			}
			if l.GetLotNumber() != c[2] || got != want[c[2]] {
				t.Errorf("lot %s: %v, want %v", c[2], got, want[c[2]])
			}
			if c[2] == "L-2" {
				market = l.GetMarketQualityGroup()
			}
		}
		if market == "" || market == "COARSE" {
			t.Fatalf("L-2, declared COARSE and measured 21.5 µm, has market group %q", market)
		}
		if !strings.Contains(stdout, "lotes cuyo grupo de mercado difiere del declarado: 1\n  L-2: declarado COARSE, de mercado "+market+": ") {
			t.Errorf("the import does not report L-2 as graded differently:\n%s", stdout)
		}

		// The same report as a command, in English with --lang en.
		stdout, stderr, err = run(t, env, "lots", "graded-differently", "--association", a.name, "--lang", "en")
		if err != nil || !strings.Contains(stdout, "lots whose market grade differs from the declared one: 1\n  L-2: declared COARSE, market "+market+": Declared COARSE") {
			t.Errorf("graded-differently --lang en: %v\n%s%s", err, stdout, stderr)
		}
		stdout, _, err = run(t, map[string]string{envKey: a.secret, envServer: ts.addr, envLang: "es-PE"}, "lots", "graded-differently", "--association", a.name)
		if err != nil || !strings.Contains(stdout, "  L-2: declarado COARSE, de mercado "+market+": ") {
			t.Errorf("graded-differently with MILLWA_LANG=es-PE: %v\n%s", err, stdout)
		}

		// Run again in English: the server answers the batch it already
		// made, and millwactl names each lot as the API does, by its
		// resource name and number, creating none.
		stdout, stderr, err = run(t, env, "lots", "import", file, "--association", a.name, "--lang", "en")
		if err != nil || !strings.Contains(stdout, "batches replayed: 1 (4 lots created by an earlier run)\n") {
			t.Errorf("the import again, in English: %v\nstderr:\n%s\nstdout:\n%s", err, stderr, stdout)
		}
		for _, c := range created {
			if line := "lot " + c[1] + " (" + c[2] + ") was created by an earlier run\n"; !strings.Contains(stdout, line) {
				t.Errorf("the import again does not say %q:\n%s", line, stdout)
			}
		}
		if n := ts.countLots(t, a.name); n != len(created) {
			t.Errorf("%d lots after the import again, want the %d of the first", n, len(created))
		}

		// A DNI nobody has is an error naming the row and the column.
		unknown := filepath.Join(t.TempDir(), "desconocido.csv")
		if err := os.WriteFile(unknown, []byte("numero_lote,campana,raza,color,grupo,clasificador,peso_neto_g,precio_centimos,centro_acopio,socio_1,gramos_1\n"+
			"L-9,2026,Huacaya,Negro,Fleece,39999999,1000,2000,Ichu,49999999,1000\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, err = run(t, env, "lots", "import", unknown, "--association", a.name)
		if !errors.Is(err, errIncomplete) || err.Error() != "no se importaron todas las líneas" || !strings.Contains(stderr, unknown+":2: columna socio_1 (J): ningún socio de "+a.name+" tiene el DNI 49999999") ||
			!strings.Contains(stdout, "1 de 1 líneas tienen errores: no se envió nada") {
			t.Errorf("an unknown DNI: %v\nstderr:\n%s\nstdout:\n%s", err, stderr, stdout)
		}

		// The server's errors come in millwactl's language.
		_, _, err = run(t, map[string]string{envKey: other.secret, envServer: ts.addr}, "lots", "graded-differently", "--association", a.name)
		if err == nil || !strings.Contains(err.Error(), "no encontr") || !strings.Contains(err.Error(), "(la clave debe ser de "+a.name) {
			t.Errorf("another association's key, in Spanish: %v", err)
		}
		_, _, err = run(t, map[string]string{envKey: other.secret, envServer: ts.addr}, "lots", "graded-differently", "--association", a.name, "--lang", "en")
		if err == nil || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), "(the key must be "+a.name) {
			t.Errorf("another association's key, in English: %v", err)
		}
	})
}

func TestHelpSpeaksSpanishByDefault(t *testing.T) {
	t.Parallel()
	stdout, _, err := run(t, nil, "lots", "import", "--help")
	if err != nil || !strings.Contains(stdout, "Importa lotes de fibra clasificada") || !strings.Contains(stdout, "numero_lote / lot_number") ||
		!strings.Contains(stdout, "la asociación dueña de los lotes") {
		t.Errorf("Spanish help: %v\n%s", err, stdout)
	}
	stdout, _, err = run(t, nil, "lots", "import", "--help", "--lang", "en")
	if err != nil || !strings.Contains(stdout, "Import lots of classified fibre") || !strings.Contains(stdout, "lot_number / numero_lote") ||
		!strings.Contains(stdout, "the association the lots belong to") {
		t.Errorf("English help: %v\n%s", err, stdout)
	}
	stdout, _, err = run(t, map[string]string{envLang: "en"}, "--help")
	if err != nil || !strings.Contains(stdout, "list those graded differently") || !strings.Contains(stdout, "Work with the lots") {
		t.Errorf("English root help from MILLWA_LANG: %v\n%s", err, stdout)
	}
	if _, _, err := run(t, nil, "lots", "graded-differently", "--association", "associations/x", "--lang", "fr"); err == nil || !strings.Contains(err.Error(), "--lang \"fr\"") {
		t.Errorf("--lang fr: %v", err)
	}
}
