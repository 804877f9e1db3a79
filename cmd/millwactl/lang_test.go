package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// messageCalls maps the names of the functions and methods that take a
// message format to the format's position among their arguments.
var messageCalls = map[string]int{
	"sprintf":  0,
	"tr":       0, // a local name of sprintf
	"errorf":   0,
	"fail":     1,
	"lineFail": 0,
	"New":      0, // errors.New: every error of parseFixed and the import is a message
}

// TestMessagesTranslated fails naming every constant message format of
// millwactl without a Spanish entry in messagesES, or whose entry has
// other verbs, so that no message is added untranslated.
func TestMessagesTranslated(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	var missing []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			i, ok := messageCalls[name]
			if !ok || i >= len(call.Args) {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			format, err := strconv.Unquote(lit.Value)
			if err != nil || seen[format] {
				return true
			}
			seen[format] = true
			es, ok := messagesES[format]
			if !ok {
				missing = append(missing, strconv.Quote(format)+": "+strconv.Quote("")+", // "+fset.Position(call.Pos()).String())
				return true
			}
			if got, want := verbs(es), verbs(format); !slices.Equal(got, want) {
				t.Errorf("%s: the Spanish of %q has verbs %q, the English %q", fset.Position(call.Pos()), format, got, want)
			}
			return true
		})
	}
	if len(seen) < 50 {
		t.Fatalf("found only %d messages: is the scan still finding the calls?", len(seen))
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%d messages have no Spanish in messagesES (messages_es.go); add:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// verbs returns the formatting verbs of format in order, without "%%".
func verbs(format string) []string {
	var out []string
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[j]) >= 0 {
			j++
		}
		if j < len(format) && format[j] != '%' {
			out = append(out, format[i:j+1])
		}
		i = j
	}
	return out
}

func TestParseLanguage(t *testing.T) {
	for in, want := range map[string]language{"es": spanish, "es-PE": spanish, "ES_pe": spanish, "en": english, "en-GB": english} {
		if got, err := parseLanguage(in); err != nil || got != want {
			t.Errorf("parseLanguage(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseLanguage("fr"); err == nil {
		t.Error("parseLanguage(fr) accepted a language millwactl does not speak")
	}
}

func TestSpanishHeaderAndNames(t *testing.T) {
	header := []string{"Número de lote", "CAMPAÑA", "raza", "Color", "grupo", "clasificador", "peso-neto-g", "precio_centimos", "centro_acopio", "Socio_1", "gramos_1"}
	f, err := parseLotsCSVIn(spanish, []byte(strings.Join(header, ",")+"\nL-1,2026,Huacaya,Café claro,Alpaca Gruesa,39999999,1000,2000,Ichu,40000000,1000\n"), testAssoc, testNow)
	if err == nil || !strings.Contains(err.Error(), `columna desconocida "Número de lote" (A)`) {
		t.Errorf("a Spanish name that is not in the table: %v", err)
	}
	header[0] = "Número_Lote"
	f, err = parseLotsCSVIn(spanish, []byte(strings.Join(header, ",")+"\nL-1,2026,Huacaya,Café claro,Alpaca Gruesa,39999999,1000,2000,Ichu,40000000,1000\n"), testAssoc, testNow)
	if err != nil || len(f.errs) > 0 || len(f.rows) != 1 || f.rows[0].lot == nil {
		t.Fatalf("parse: %v %v", err, f)
	}
	l := f.rows[0].lot
	if l.GetLotNumber() != "L-1" || l.GetColour() != "CAFE_CLARO" || l.GetDeclaredQualityGroup() != "ALPACA_GRUESA" ||
		l.GetClassifier() != testAssoc+"/classifiers/39999999" || l.GetContributions()[0].GetMember() != testAssoc+"/members/40000000" {
		t.Errorf("lot %v", l)
	}

	colours := codeNames([]*millwav1.FiberColour{
		{Code: "LIGHT_BROWN", Name: &millwav1.LocalizedText{Es: "Café claro", En: "Light brown"}},
		{Code: "LIGHT_FAWN", Name: &millwav1.LocalizedText{Es: "Beige claro", En: "Light fawn"}, Abbreviation: "LF"},
		{Code: "PIEBALD", Name: &millwav1.LocalizedText{Es: "Pintado (mezcla de colores)", En: "Piebald (mixed colours)"}},
	}, (*millwav1.FiberColour).GetCode, (*millwav1.FiberColour).GetName, (*millwav1.FiberColour).GetAbbreviation)
	groups := codeNames([]*millwav1.QualityGroup{
		{Code: "COARSE", Name: &millwav1.LocalizedText{Es: "Alpaca Gruesa", En: "Coarse Alpaca"}, Abbreviation: "AG"},
		{Code: "SHORT", Name: &millwav1.LocalizedText{Es: "Alpaca Corta", En: "Short Alpaca"}},
	}, (*millwav1.QualityGroup).GetCode, (*millwav1.QualityGroup).GetName, (*millwav1.QualityGroup).GetAbbreviation)
	for in, want := range map[string]string{
		"Café claro": "LIGHT_BROWN", "CAFE CLARO": "LIGHT_BROWN", "light-brown": "LIGHT_BROWN", "LF": "LIGHT_FAWN", "beige claro": "LIGHT_FAWN",
		"Pintado": "PIEBALD", "PIEBALD": "PIEBALD",
	} {
		if got := colours[codeKey(in)]; got != want {
			t.Errorf("colour %q = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Gruesa": "COARSE", "Alpaca Gruesa": "COARSE", "coarse": "COARSE", "AG": "COARSE", "Corta": "SHORT", "alpaca corta": "SHORT"} {
		if got := groups[codeKey(in)]; got != want {
			t.Errorf("group %q = %q, want %q", in, got, want)
		}
	}
	if got, ok := groups[codeKey("Alpaca")]; ok {
		t.Errorf("\"Alpaca\" names group %s; it names none", got)
	}
}
