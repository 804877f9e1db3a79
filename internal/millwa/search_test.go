package millwa

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestFoldTable checks that the folding table pairs each character with
// one (the combining accents at its end with none), names each at most
// once, and folds to lower-case ASCII letters only.
func TestFoldTable(t *testing.T) {
	from := []rune(FoldFrom)
	if n, combining := utf8.RuneCountInString(FoldTo), 8; n != len(from)-combining {
		t.Fatalf("FoldTo has %d characters for %d in FoldFrom (%d of them dropped)", n, len(from), combining)
	}
	seen := map[rune]bool{}
	for _, r := range from {
		if seen[r] {
			t.Errorf("FoldFrom names %q twice", r)
		}
		seen[r] = true
	}
	if strings.Trim(FoldTo, "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("FoldTo holds something else than lower-case ASCII letters: %q", FoldTo)
	}
}

func TestFoldAndParseSearch(t *testing.T) {
	for in, want := range map[string]string{
		"Teodora HUAMÁN Ccori": "teodora huaman ccori",
		"ÑAHUI Nuñez":          "nahui nunez",
		"a\u0301ngel":          "angel",
		"2026-0001 中文":         "2026-0001 中文",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	words, err := ParseSearch("  Huamán   41234567 ")
	if err != nil || !slices.Equal(words, []string{"huaman", "41234567"}) {
		t.Errorf("ParseSearch = %q, %v", words, err)
	}
	if words, err := ParseSearch(""); err != nil || words != nil {
		t.Errorf("ParseSearch(\"\") = %q, %v; want none", words, err)
	}
	for _, bad := range []string{strings.Repeat("é", MaxSearchLen+1), "a b c d e f g h i", "x\x00", "\xff"} {
		if _, err := ParseSearch(bad); ErrorCode(err) != Invalid {
			t.Errorf("ParseSearch(%q) = %v; want Invalid", bad, err)
		}
	}
	if _, err := ParseSearch(strings.Repeat("é", MaxSearchLen)); err != nil {
		t.Errorf("a search of %d accented characters: %v", MaxSearchLen, err)
	}
}
