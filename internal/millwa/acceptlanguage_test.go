package millwa

import (
	"strings"
	"testing"
)

func TestPreferredLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   Language
		ok     bool
	}{
		{"", English, false},
		{"es", Spanish, true},
		{"es-PE", Spanish, true},
		{"ES-pe", Spanish, true},
		{"en-GB", English, true},
		{"qu-PE, es-PE;q=0.9, en;q=0.8", Spanish, true},
		{"qu, ay", English, false},
		{"en;q=0.5, es;q=0.9", Spanish, true},
		{"es;q=0.5, en;q=0.5", Spanish, true}, // a tie goes to the first listed
		{"es;q=0, en", English, true},
		{"es;q=0", English, false},
		{"es;q=abc, en;q=0.1", English, true},
		{"es; q=0.2 ;x=1, en;q=0.1", Spanish, true},
		{"*", English, false},
		{"en, " + strings.Repeat("x-aaaa, ", 40) + "es", English, false}, // longer than a real header
	}
	for _, tt := range tests {
		if got, ok := PreferredLanguage(tt.header); got != tt.want || ok != tt.ok {
			t.Errorf("PreferredLanguage(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}
