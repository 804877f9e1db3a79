package grading_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/grading"
)

// band is a group as STANDARDS.md writes it, for comparing with the data.
type band struct {
	Code     string
	Min, Max float64 // 0: open
	Length   float64 // 0: no length rule
}

func bandsOf(gs []grading.QualityGroup) []band {
	var out []band
	for _, g := range gs {
		b := band{Code: g.Code}
		if g.Band.MinUm != nil {
			b.Min = *g.Band.MinUm
		}
		if g.Band.MaxUm != nil {
			b.Max = *g.Band.MaxUm
		}
		if g.MinStapleLengthMm != nil {
			b.Length = *g.MinStapleLengthMm
		}
		out = append(out, b)
	}
	return out
}

// TestShippedStandards checks the shipped data against the figures of
// shared/domain/STANDARDS.md, written out by hand.
func TestShippedStandards(t *testing.T) {
	t.Parallel()
	r := registry(t)
	var ids []string
	for _, s := range r.List() {
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{"au-aafl-2005", "na-alpaca-grades", "pe-ntp-231-300-2014", "pe-ntp-231-301-2004", "pe-ntp-231-301-2014", "pe-processors-commercial"}, ids); diff != "" {
		t.Errorf("shipped standards (-want +got):\n%s", diff)
	}
	if r.DefaultID() != "pe-ntp-231-301-2014" {
		t.Errorf("default %s", r.DefaultID())
	}
	if _, ok := r.Get("pe-ntp-231-301-1999"); ok {
		t.Error("Get of an unknown id found a standard")
	}

	tests := []struct {
		id     string
		groups []band
		short  *band
		breeds []string
	}{
		{
			"pe-ntp-231-301-2014",
			[]band{
				{"SUPER_BABY", 0, 20.0, 65}, {"BABY", 20.1, 23.0, 65}, {"FLEECE", 23.1, 26.5, 70},
				{"MEDIUM_FLEECE", 26.6, 29.0, 70}, {"HUARIZO", 29.1, 31.5, 70}, {"COARSE", 31.6, 0, 70},
			},
			&band{Code: "SHORT"},
			[]string{"HUACAYA", "SURI"},
		},
		{
			"pe-ntp-231-301-2004",
			[]band{
				{"BABY", 0, 23.0, 65}, {"FLEECE", 23.1, 26.5, 70},
				{"MEDIUM_FLEECE", 26.6, 29.0, 70}, {"HUARIZO", 29.1, 31.5, 70}, {"COARSE", 31.6, 0, 70},
			},
			&band{Code: "SHORT"},
			[]string{"HUACAYA", "SURI"},
		},
		{"pe-ntp-231-300-2014", nil, nil, []string{"HUACAYA", "SURI"}},
		{"pe-processors-commercial", []band{{"ROYAL", 0, 18.9, 0}}, nil, []string{"HUACAYA", "SURI"}},
		{
			"na-alpaca-grades",
			[]band{
				{"GRADE_1", 0, 19.9, 0}, {"GRADE_2", 20.0, 22.9, 0}, {"GRADE_3", 23.0, 25.9, 0}, {"GRADE_4", 26.0, 28.9, 0},
				{"GRADE_5", 29.0, 31.9, 0}, {"GRADE_6", 32.0, 35.0, 0}, {"GRADE_7", 35.1, 0, 0},
			},
			nil,
			[]string{"HUACAYA", "SURI"},
		},
		{
			"au-aafl-2005",
			[]band{{"H1", 0, 19.9, 0}, {"H2", 20.0, 22.9, 0}, {"H3", 23.0, 25.9, 0}, {"H4", 26.0, 29.9, 0}, {"H5", 30.0, 34.0, 0}},
			&band{Code: "H6", Max: 29.9},
			// AAFL's H grades are its Huacaya scale (au-aafl-2005.json,
			// breeds).
			[]string{"HUACAYA"},
		},
	}
	hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			s := standard(t, tt.id)
			if diff := cmp.Diff(tt.groups, bandsOf(s.QualityGroups)); diff != "" {
				t.Errorf("quality groups (-want +got):\n%s", diff)
			}
			var short *band
			if s.ShortFiberGroup != nil {
				short = &bandsOf([]grading.QualityGroup{*s.ShortFiberGroup})[0]
			}
			if diff := cmp.Diff(tt.short, short); diff != "" {
				t.Errorf("short-fibre group (-want +got):\n%s", diff)
			}
			if len(s.QualityGroups) > 0 && s.DiameterResolutionUm != 0.1 {
				t.Errorf("resolution %v, want 0.1", s.DiameterResolutionUm)
			}
			if s.Source == "" || s.Confidence == "" || len(s.Notes) == 0 || s.Publisher == "" || s.Title.ES == "" || s.Title.EN == "" {
				t.Errorf("source, confidence, notes, publisher or title missing")
			}
			if !hex.MatchString(s.Digest) {
				t.Errorf("digest %q is not a hex SHA-256", s.Digest)
			}
			for _, g := range append(s.QualityGroups, *orEmpty(s.ShortFiberGroup)) {
				if g.Code != "" && (g.Name.ES == "" || g.Name.EN == "") {
					t.Errorf("group %s lacks a name", g.Code)
				}
			}
			if diff := cmp.Diff(tt.breeds, strings.Split(s.BreedCodes(), ", ")); diff != "" {
				t.Errorf("breeds (-want +got):\n%s", diff)
			}
			for _, want := range []string{"WHITE", "LIGHT_FAWN", "FAWN", "LIGHT_BROWN", "BROWN", "DARK_BROWN", "BAY_BLACK", "BLACK", "LIGHT_GREY", "GREY", "ROSE_GREY", "PIEBALD"} {
				if !s.HasColour(want) {
					t.Errorf("colour %s missing", want)
				}
			}
			for _, c := range s.Colours {
				if c.Name.ES == "" || c.Name.EN == "" {
					t.Errorf("colour %s lacks a name", c.Code)
				}
			}
		})
	}

	fc := standard(t, "pe-ntp-231-300-2014").FleeceClassification
	if fc == nil {
		t.Fatal("pe-ntp-231-300-2014 has no fleece classification")
	}
	type category struct {
		Code     string
		Min      float64
		Max      *float64
		Named    bool
		Standard string
		Fine     []string
	}
	var cats []category
	for _, c := range fc.Categories {
		cats = append(cats, category{c.Code, c.MinFineSharePercent, c.MaxFineSharePercent, c.Name.ES != "" && c.Name.EN != "", fc.GroupStandard, fc.FineGroupCodes})
	}
	fine := []string{"SUPER_BABY", "BABY", "FLEECE"}
	const gs = "pe-ntp-231-301-2014"
	if diff := cmp.Diff([]category{
		{"EXTRAFINA", 70, nil, true, gs, fine}, {"FINA", 55, new(70.0), true, gs, fine},
		{"SEMIFINA", 40, new(55.0), true, gs, fine}, {"GRUESA", 0, new(40.0), true, gs, fine},
	}, cats); diff != "" {
		t.Errorf("fleece categories (-want +got):\n%s", diff)
	}
	if c := standard(t, "pe-ntp-231-300-2014").Confidence; c != grading.Unconfirmed {
		t.Errorf("pe-ntp-231-300-2014 confidence %s, want unconfirmed", c)
	}
}

func orEmpty(g *grading.QualityGroup) *grading.QualityGroup {
	if g == nil {
		return &grading.QualityGroup{}
	}
	return g
}

func TestStandardHas(t *testing.T) {
	t.Parallel()
	s := standard(t, "pe-ntp-231-301-2014")
	for _, tt := range []struct {
		name string
		has  func(string) bool
		code string
		want bool
	}{
		{"group", s.HasGroup, "BABY", true},
		{"short group", s.HasGroup, "SHORT", true},
		{"unknown group", s.HasGroup, "GRADE_1", false},
		{"group in lower case", s.HasGroup, "baby", false},
		{"colour", s.HasColour, "LIGHT_FAWN", true},
		{"unknown colour", s.HasColour, "PURPLE", false},
		{"breed", s.HasBreed, "SURI", true},
		{"unknown breed", s.HasBreed, "LLAMA", false},
		{"empty", s.HasBreed, "", false},
	} {
		if got := tt.has(tt.code); got != tt.want {
			t.Errorf("%s %q: %v, want %v", tt.name, tt.code, got, tt.want)
		}
	}
}

// shippedJSON returns a shipped standard's file as a JSON object.
func shippedJSON(t *testing.T, id string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("standards", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// writeJSON writes v as the file name in dir and returns its path.
func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeStandard writes pe-ntp-231-301-2014 changed by edit as the file name
// in dir.
func writeStandard(t *testing.T, dir, name string, edit func(map[string]any)) string {
	t.Helper()
	m := shippedJSON(t, "pe-ntp-231-301-2014")
	edit(m)
	return writeJSON(t, dir, name, m)
}

// group returns quality_groups[i] of a standard's JSON object.
func group(m map[string]any, i int) map[string]any {
	return m["quality_groups"].([]any)[i].(map[string]any)
}

func TestLoadOverrides(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// An operator corrects the 2004 edition (Fleece from 65 mm) …
	m := shippedJSON(t, "pe-ntp-231-301-2004")
	group(m, 1)["min_staple_length_mm"] = 65.0
	writeJSON(t, dir, "ntp-2004-corrected.json", m)
	// … and adds a new edition.
	writeStandard(t, dir, "pe-ntp-231-301-2022.json", func(m map[string]any) {
		m["id"] = "pe-ntp-231-301-2022"
		m["edition_year"] = 2022
		m["title"] = map[string]any{"es": "NTP 231.301:2022 Fibra de alpaca clasificada", "en": "NTP 231.301:2022 Classified alpaca fibre"}
	})
	// Other files are ignored.
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "old.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".draft.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}

	r, err := grading.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range r.List() {
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{"au-aafl-2005", "na-alpaca-grades", "pe-ntp-231-300-2014", "pe-ntp-231-301-2004", "pe-ntp-231-301-2014", "pe-ntp-231-301-2022", "pe-processors-commercial"}, ids); diff != "" {
		t.Errorf("standards (-want +got):\n%s", diff)
	}
	corrected, _ := r.Get("pe-ntp-231-301-2004")
	if l := corrected.QualityGroups[1].MinStapleLengthMm; l == nil || *l != 65 {
		t.Errorf("corrected Fleece length %v, want 65", l)
	}
	if corrected.Digest == standard(t, "pe-ntp-231-301-2004").Digest {
		t.Error("the corrected edition kept the shipped digest")
	}
	g, err := corrected.Grade(withStaple(summary(24), 67))
	if err != nil || g.QualityGroup != "FLEECE" {
		t.Errorf("67 mm Fleece under the corrected edition: %v %v, want FLEECE", g.QualityGroup, err)
	}
	added, ok := r.Get("pe-ntp-231-301-2022")
	if !ok || added.EditionYear != 2022 {
		t.Fatalf("added edition: %+v", added)
	}
	// The shipped 2014 edition is untouched, digest included.
	if got, _ := r.Get("pe-ntp-231-301-2014"); got.Digest != standard(t, "pe-ntp-231-301-2014").Digest {
		t.Error("the 2014 edition changed")
	}
}

func TestLoadDigestIgnoresLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("standards", "na-alpaca-grades.json"))
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "na.json"), compact.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := grading.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Get("na-alpaca-grades"); got.Digest != standard(t, "na-alpaca-grades").Digest {
		t.Error("the same data laid out differently has another digest")
	}
}

// fileErrors flattens the errors Load joined.
func fileErrors(t *testing.T, err error) []*grading.FileError {
	t.Helper()
	var out []*grading.FileError
	var walk func(error)
	walk = func(err error) {
		var fe *grading.FileError
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		} else if errors.As(err, &fe) {
			out = append(out, fe)
		} else {
			t.Errorf("error %v is not a *FileError", err)
		}
	}
	walk(err)
	return out
}

func TestLoadRefusesBrokenFiles(t *testing.T) {
	t.Parallel()
	type file struct {
		name string
		data any // a map to write as JSON, or raw text
	}
	edit2014 := func(t *testing.T, edit func(map[string]any)) any {
		m := shippedJSON(t, "pe-ntp-231-301-2014")
		edit(m)
		return m
	}
	edit300 := func(t *testing.T, edit func(map[string]any)) any {
		m := shippedJSON(t, "pe-ntp-231-300-2014")
		edit(m)
		return m
	}
	categories := func(m map[string]any) []any {
		return m["fleece_classification"].(map[string]any)["categories"].([]any)
	}
	tests := []struct {
		name      string
		files     func(t *testing.T) []file
		wantFile  string
		wantField string
		wantText  string
	}{
		{
			"unknown field", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { m["colour_table"] = []any{} })}}
			}, "a.json", "colour_table", "unknown field",
		},
		{
			"unknown nested field", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { group(m, 2)["diameter_band"].(map[string]any)["minimum"] = 23.1 })}}
			}, "a.json", "quality_groups[2].diameter_band.minimum", "unknown field",
		},
		{
			"field in the wrong case", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { m["ID"] = m["id"]; delete(m, "id") })}}
			}, "a.json", "ID", `did you mean "id"`,
		},
		{
			"missing id", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { delete(m, "id") })}}
			}, "a.json", "id", "is required",
		},
		{
			"bad id", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { m["id"] = "PE NTP" })}}
			}, "a.json", "id", "lower case",
		},
		{
			"duplicate id", func(t *testing.T) []file {
				return []file{
					{"a.json", edit2014(t, func(m map[string]any) { m["id"] = "xx-dup" })},
					{"b.json", edit2014(t, func(m map[string]any) { m["id"] = "xx-dup" })},
				}
			}, "b.json", "id", "duplicate id",
		},
		{
			"overlapping bands", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { group(m, 2)["diameter_band"].(map[string]any)["min_um"] = 23.0 })}}
			}, "a.json", "quality_groups[2].diameter_band.min_um", "overlaps quality_groups[1]",
		},
		{
			"gapped bands", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { group(m, 2)["diameter_band"].(map[string]any)["min_um"] = 23.2 })}}
			}, "a.json", "quality_groups[2].diameter_band.min_um", "gap",
		},
		{
			"unordered groups", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) {
					gs := m["quality_groups"].([]any)
					gs[1], gs[2] = gs[2], gs[1]
				})}}
			}, "a.json", "quality_groups[2]", "ordered finest first",
		},
		{
			"band off the resolution", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { group(m, 1)["diameter_band"].(map[string]any)["max_um"] = 23.05 })}}
			}, "a.json", "quality_groups[1].diameter_band.max_um", "not a multiple of the resolution",
		},
		{
			"finest band closed below", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { group(m, 0)["diameter_band"].(map[string]any)["min_um"] = 5.0 })}}
			}, "a.json", "quality_groups[0].diameter_band.min_um", "open below",
		},
		{
			"group code not UPPER_SNAKE", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { group(m, 1)["code"] = "Baby" })}}
			}, "a.json", "quality_groups[1].code", "UPPER_SNAKE",
		},
		{
			"duplicate group code", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { m["short_fiber_group"].(map[string]any)["code"] = "BABY" })}}
			}, "a.json", "short_fiber_group.code", "duplicate code",
		},
		{
			"missing name", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { group(m, 3)["name"] = map[string]any{"es": "Alpaca Medium Fleece"} })}}
			}, "a.json", "quality_groups[3].name.en", "is required",
		},
		{
			"wrong JSON type", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { m["edition_year"] = "2014" })}}
			}, "a.json", "edition_year", "must be a whole number",
		},
		{
			"confidence stronger than a note", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { m["confidence"] = "confirmed" })}}
			}, "a.json", "confidence", "weakest",
		},
		{
			"unknown confidence", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { m["confidence"] = "sure" })}}
			}, "a.json", "confidence", `must be "confirmed", "repeated" or "unconfirmed"`,
		},
		{
			"group standard that does not exist", func(t *testing.T) []file {
				return []file{{"a.json", edit300(t, func(m map[string]any) {
					m["fleece_classification"].(map[string]any)["group_standard"] = "pe-ntp-231-301-1999"
				})}}
			}, "a.json", "fleece_classification.group_standard", `no standard has the id "pe-ntp-231-301-1999"`,
		},
		{
			"group standard without groups", func(t *testing.T) []file {
				return []file{{"a.json", edit300(t, func(m map[string]any) {
					m["fleece_classification"].(map[string]any)["group_standard"] = "pe-ntp-231-300-2014"
				})}}
			}, "a.json", "fleece_classification.group_standard", "defines no quality groups",
		},
		{
			"fine code that is not a group", func(t *testing.T) []file {
				return []file{{"a.json", edit300(t, func(m map[string]any) {
					m["fleece_classification"].(map[string]any)["fine_group_codes"] = []any{"SUPER_BABY", "ROYAL"}
				})}}
			}, "a.json", "fleece_classification.fine_group_codes[1]", `"ROYAL" is not a quality group of pe-ntp-231-301-2014`,
		},
		{
			"categories not contiguous", func(t *testing.T) []file {
				return []file{{"a.json", edit300(t, func(m map[string]any) {
					categories(m)[1].(map[string]any)["max_fine_share_percent"] = 65.0
				})}}
			}, "a.json", "fleece_classification.categories[1].max_fine_share_percent", "contiguous",
		},
		{
			"last category above 0", func(t *testing.T) []file {
				return []file{{"a.json", edit300(t, func(m map[string]any) {
					categories(m)[3].(map[string]any)["min_fine_share_percent"] = 10.0
				})}}
			}, "a.json", "fleece_classification.categories[3].min_fine_share_percent", "must be 0",
		},
		{
			"an override that breaks what refers to it", func(t *testing.T) []file {
				return []file{{"a.json", edit2014(t, func(m map[string]any) { group(m, 0)["code"] = "ROYAL" })}}
			}, "standards/pe-ntp-231-300-2014.json", "fleece_classification.fine_group_codes[0]", `"SUPER_BABY" is not a quality group`,
		},
		{
			"invalid JSON", func(t *testing.T) []file {
				return []file{{"a.json", "{\n  \"id\": \"xx\",\n  \"title\": }"}}
			}, "a.json", "", "invalid JSON at line 3",
		},
		{
			"two standards in a file", func(t *testing.T) []file {
				return []file{{"a.json", "{} {}"}}
			}, "a.json", "", "a file holds one standard",
		},
		{
			"empty file", func(t *testing.T) []file {
				return []file{{"a.json", ""}}
			}, "a.json", "", "the file ends early",
		},
		{
			"closed coarsest band without out_of_scale", func(t *testing.T) []file {
				return []file{{"x.json", edit2014(t, func(m map[string]any) {
					delete(m, "out_of_scale")
					delete(group(m, 5)["diameter_band"].(map[string]any), "min_um")
					group(m, 5)["diameter_band"] = map[string]any{"min_um": 31.6, "max_um": 40.0}
					delete(m["short_fiber_group"].(map[string]any), "staple_length_range_mm")
				})}}
			}, "x.json", "quality_groups[5].diameter_band.max_um", "unless out_of_scale",
		},
		{
			"a tolerance of no size", func(t *testing.T) []file {
				return []file{{"x.json", edit2014(t, func(m map[string]any) {
					m["measurement_tolerances"].([]any)[0].(map[string]any)["tolerance_um"] = 0.0
				})}}
			}, "x.json", "measurement_tolerances[0].tolerance_um", "above 0",
		},
		{
			"a length class that is not the standard's", func(t *testing.T) []file {
				m := shippedJSON(t, "au-aafl-2005")
				group(m, 1)["length_classes"] = []any{"AB", "Z"}
				return []file{{"x.json", m}}
			}, "x.json", "quality_groups[1].length_classes[1]", "not one of the standard's length classes",
		},
		{
			"length classes with a gap", func(t *testing.T) []file {
				m := shippedJSON(t, "au-aafl-2005")
				m["length_classes"].([]any)[1].(map[string]any)["staple_length_mm"] = map[string]any{"min_mm": 60.0, "max_mm": 75.0}
				return []file{{"x.json", m}}
			}, "x.json", "length_classes[1].staple_length_mm.max_mm", "without gaps",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range tt.files(t) {
				if s, ok := f.data.(string); ok {
					if err := os.WriteFile(filepath.Join(dir, f.name), []byte(s), 0o644); err != nil {
						t.Fatal(err)
					}
				} else {
					writeJSON(t, dir, f.name, f.data)
				}
			}
			r, err := grading.Load(dir)
			if err == nil {
				t.Fatalf("Load accepted the broken file: %v", r.List())
			}
			wantFile := tt.wantFile
			if !strings.HasPrefix(wantFile, "standards/") {
				wantFile = filepath.Join(dir, wantFile)
			}
			msg := err.Error()
			found := false
			for _, fe := range fileErrors(t, err) {
				found = found || fe.File == wantFile && fe.Field == tt.wantField && strings.Contains(fe.Problem, tt.wantText)
			}
			if !found {
				t.Errorf("no error for file %s, field %q, saying %q; got:\n%s", wantFile, tt.wantField, tt.wantText, msg)
			}
			if !strings.Contains(msg, wantFile) || !strings.Contains(msg, tt.wantField) {
				t.Errorf("message does not name the file and field:\n%s", msg)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writeStandard(t, dir, "a.json", func(m map[string]any) {
		m["id"] = "xx-a"
		m["colour_table"] = []any{}
		m["edition_year"] = "new"
	})
	b := writeStandard(t, dir, "b.json", func(m map[string]any) {
		m["id"] = "xx-b"
		group(m, 2)["diameter_band"].(map[string]any)["min_um"] = 23.0
		group(m, 4)["code"] = "huarizo"
	})
	_, err := grading.Load(dir)
	var got []string
	for _, fe := range fileErrors(t, err) {
		got = append(got, fe.File+" "+fe.Field)
	}
	want := []string{
		a + " colour_table", a + " edition_year",
		b + " quality_groups[2].diameter_band.min_um", b + " quality_groups[4].code",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s\n%v", diff, err)
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nowhere")
	_, err := grading.Load(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load of a missing directory: %v, want an error naming it", err)
	}
}
