package ubigeo

import (
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		code string
		want string
	}{
		{"210101", "Puno, Puno, Puno"},
		{"211104", "Caracoto, San Roman, Puno"},
		{"080101", "Cusco, Cusco, Cusco"},
		{"040101", "Arequipa, Arequipa, Arequipa"},
		{"090101", "Huancavelica, Huancavelica, Huancavelica"},
		{"030411", "San Juan de Chacña, Aymaraes, Apurímac"},
		{"120101", "Huancayo, Huancayo, Junín"},
		{"050101", "Ayacucho, Huamanga, Ayacucho"},
		{"180101", "Moquegua, Mariscal Nieto, Moquegua"},
		{"190101", "Chaupimarca, Pasco, Pasco"},
		{"230101", "Tacna, Tacna, Tacna"},
	} {
		p, ok := Lookup(tt.code)
		if !ok || p.String() != tt.want || p.Code != tt.code {
			t.Errorf("Lookup(%q) = %+v, %v; want %q", tt.code, p, ok, tt.want)
		}
	}
	for _, code := range []string{"150101", "219999", "", "21010", "2101011"} {
		if p, ok := Lookup(code); ok {
			t.Errorf("Lookup(%q) = %+v, want unknown", code, p)
		}
	}
}

func TestEveryDepartmentIsThere(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for code, p := range places0(t) {
		seen[code[:2]]++
		if p.District == "" || p.Province == "" || p.Department == "" {
			t.Errorf("%s has an empty name: %+v", code, p)
		}
	}
	for dept := range departments {
		if seen[dept] == 0 {
			t.Errorf("department %s has no district", dept)
		}
	}
	if Len() != 847 {
		t.Errorf("%d districts, want the 847 of the source", Len())
	}
}

func places0(t *testing.T) map[string]Place {
	t.Helper()
	m, err := parse(districtsTSV)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseRefusesBrokenLines(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		"210101\tPUNO\tPUNO",
		"2101\tPUNO\tPUNO\tPUNO",
		"150101\tLIMA\tLIMA\tLIMA",
		"210101\tPUNO\tPUNO\tPUNO\n210101\tPUNO\tPUNO\tPUNO",
	} {
		if _, err := parse(data); err == nil {
			t.Errorf("parse(%q): no error", data)
		}
	}
}

func TestTitleCase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"SAN JUAN DE SALINAS": "San Juan de Salinas",
		"ANCO-HUALLO":         "Anco-Huallo",
		"LA JALCA":            "La Jalca",
		"QUEQUEÑA":            "Quequeña",
		"ÑUÑOA":               "Ñuñoa",
	} {
		if got := titleCase(in); got != want {
			t.Errorf("titleCase(%q) = %q, want %q", in, got, want)
		}
	}
	if strings.Contains(titleCase("DE LA CRUZ"), "de La") {
		t.Errorf("a particle after the first word is capitalised")
	}
}
