// Package ubigeo names the districts of Peru's alpaca regions by their INEI
// ubigeo code: six digits, two for the department, two for the province
// within it and two for the district within that (210101 is the district
// of Puno, in the province of Puno, in the department of Puno).
//
// The names come from INEI's ubigeo list (see districts.tsv for the source
// and what it holds), embedded in the binary. Only the ten departments
// where alpacas are raised are kept: Apurímac (03), Arequipa (04), Ayacucho
// (05), Cusco (08), Huancavelica (09), Junín (12), Moquegua (18), Pasco
// (19), Puno (21) and Tacna (23). A code outside them is unknown, and whoever
// shows it prints the code itself.
package ubigeo

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed districts.tsv
var districtsTSV string

// Place is a district and the province and department it lies in, named
// for people: "Caracoto", "San Roman", "Puno".
type Place struct {
	// Code is the six-digit INEI ubigeo code.
	Code       string
	District   string
	Province   string
	Department string
}

// String is the place as a label prints it: "District, Province,
// Department".
func (p Place) String() string {
	return p.District + ", " + p.Province + ", " + p.Department
}

// departments are the names of the kept departments as INEI spells them
// in running text, accents included: the list writes them in capitals
// without accents.
var departments = map[string]string{
	"03": "Apurímac", "04": "Arequipa", "05": "Ayacucho", "08": "Cusco", "09": "Huancavelica",
	"12": "Junín", "18": "Moquegua", "19": "Pasco", "21": "Puno", "23": "Tacna",
}

var (
	loadOnce sync.Once
	places   map[string]Place
	loadErr  error
)

// Lookup returns the place of a six-digit ubigeo code, and false when the
// code is not one of the kept districts.
func Lookup(code string) (Place, bool) {
	loadOnce.Do(func() { places, loadErr = parse(districtsTSV) })
	if loadErr != nil {
		// The file is embedded and checked by the package's tests: a
		// broken one is a build that must not ship.
		panic(loadErr)
	}
	p, ok := places[code]
	return p, ok
}

// Len is how many districts the data names.
func Len() int {
	Lookup("")
	return len(places)
}

// parse reads the embedded list: comment lines start with "#", every other
// line is code, department, province and district separated by tabs.
func parse(data string) (map[string]Place, error) {
	out := make(map[string]Place)
	sc := bufio.NewScanner(strings.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 || len(f[0]) != 6 {
			return nil, fmt.Errorf("ubigeo: line %d: want a 6-digit code and three names separated by tabs, got %q", n, line)
		}
		dept, ok := departments[f[0][:2]]
		if !ok {
			return nil, fmt.Errorf("ubigeo: line %d: department %s is not one of the kept ones", n, f[0][:2])
		}
		if _, dup := out[f[0]]; dup {
			return nil, fmt.Errorf("ubigeo: line %d: code %s is listed twice", n, f[0])
		}
		out[f[0]] = Place{Code: f[0], District: titleCase(f[3]), Province: titleCase(f[2]), Department: dept}
	}
	return out, sc.Err()
}

// particles stay in lower case inside a name, as in "San Juan de Salinas".
var particles = map[string]bool{"de": true, "del": true, "la": true, "las": true, "los": true, "el": true, "y": true}

// titleCase writes a name given in capitals as it reads in running text:
// each word capitalised, the articles and prepositions after the first
// word in lower case. Words joined by a hyphen are each capitalised.
func titleCase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		if i > 0 && particles[w] {
			continue
		}
		parts := strings.Split(w, "-")
		for j, p := range parts {
			r, size := utf8.DecodeRuneInString(p)
			parts[j] = string(unicode.ToUpper(r)) + p[size:]
		}
		words[i] = strings.Join(parts, "-")
	}
	return strings.Join(words, " ")
}
