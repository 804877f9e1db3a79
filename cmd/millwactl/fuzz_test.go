package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseLotsCSV feeds arbitrary files to the importer's parser. Whatever
// the file, parsing must not panic, every row must either carry a lot or
// have an error on its line, every error must name a line of the file, and
// a lot that parsed must hold what the server requires of its shape:
// positive weight, contributions summing to it, and names under the
// association.
func FuzzParseLotsCSV(f *testing.F) {
	f.Add(csvText(f, fullHeader, goodRow()))
	bad := goodRow()
	bad["grams_1"], bad["campaign"], bad["ask_price_per_kg"] = "-3", "19", "x"
	f.Add(csvText(f, fullHeader, goodRow(), bad))
	f.Add([]byte("\xef\xbb\xbflot_number;campaign\n\"unterminated"))
	f.Add([]byte("member_1,grams_1,kg_1\nM1,1000,1\n"))
	f.Add([]byte(strings.Repeat(",", 300) + "\n"))
	f.Add([]byte("Número_Lote,Campaña,Raza,Color,Grupo,Clasificador,Peso neto kg,Precio_Soles,Centro_Acopio,socio_1,kg_1,socio_2,gramos_2\n" +
		"L-1,2026,Huacaya,Café claro,Alpaca Gruesa,39999999,46,22.50,Ichu,40000000,30,40000001,16000\n"))
	f.Add([]byte("numero_lote,campana,raza,color,grupo,clasificador,peso_neto_g,precio_centimos,centro_acopio,socio_1,gramos_1,color\n" +
		"L-2,2026,SURI,Pintado (mezcla),Medium-Fleece,C1,1000,2000,Ichu,M1,1000,Negro\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseLotsCSV(data, testAssoc, testNow)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		bad := file.badLines()
		for _, e := range file.errs {
			if e.line < 1 || e.line > lines || e.msg == "" || !utf8.ValidString(e.String()) {
				t.Fatalf("error %q names line %d of a %d-line file", e.String(), e.line, lines)
			}
		}
		for _, r := range file.rows {
			if r.lot == nil {
				if !bad[r.line] {
					t.Fatalf("line %d has no lot and no error", r.line)
				}
				continue
			}
			l := r.lot
			var sum int64
			for _, c := range l.GetContributions() {
				if c.GetGrams() <= 0 || !strings.HasPrefix(c.GetMember(), testAssoc+"/members/") {
					t.Fatalf("line %d: contribution %v", r.line, c)
				}
				sum += c.GetGrams()
			}
			if l.GetNetWeightGrams() <= 0 || sum != l.GetNetWeightGrams() || !strings.HasPrefix(l.GetClassifier(), testAssoc+"/classifiers/") {
				t.Fatalf("line %d: lot %v accepted with weight %d, contributions summing to %d", r.line, l, l.GetNetWeightGrams(), sum)
			}
		}
	})
}
