package millwa

import (
	"fmt"
	"testing"
)

func TestCheckRUC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ruc  string
		want bool
	}{
		{"20448012345", true},  // check digit 5
		{"20448012347", false}, // wrong check digit
		{"20100070970", true},  // 11 - r = 10 is written 0
		{"20100070971", false},
		{"10464862744", true}, // an individual's RUC; CheckRUC does not judge the prefix
		{"2044801234", false},
		{"204480123456", false},
		{"2044801234a", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := CheckRUC(tt.ruc) == ""; got != tt.want {
			t.Errorf("CheckRUC(%q) valid = %v, want %v (%s)", tt.ruc, got, tt.want, CheckRUC(tt.ruc))
		}
	}
}

func TestRUCCheckDigitRemainders(t *testing.T) {
	t.Parallel()
	// Every remainder of the weighted sum modulo 11 maps to its digit:
	// 11 - r, written 0 for 10 and 1 for 11.
	seen := map[byte]bool{}
	for n := 0; n < 2000; n++ {
		first := fmt.Sprintf("20%08d", n*7919)
		weights := []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
		sum := 0
		for i, w := range weights {
			sum += int(first[i]-'0') * w
		}
		want := 11 - sum%11
		if want == 10 {
			want = 0
		} else if want == 11 {
			want = 1
		}
		got := RUCCheckDigit(first)
		if got != byte('0'+want) {
			t.Fatalf("RUCCheckDigit(%s) = %c, want %d", first, got, want)
		}
		seen[got] = true
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct check digits exercised", len(seen))
	}
}

func TestCheckUbigeoAndDNI(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{
		"210101": true, "080101": true, "250101": true, "010101": true,
		"000101": false, "260101": false, "210001": false, "210100": false,
		"21010": false, "2101011": false, "21A101": false, "": false,
	} {
		if got := CheckUbigeo(code) == ""; got != want {
			t.Errorf("CheckUbigeo(%q) valid = %v, want %v", code, got, want)
		}
	}
	if len(Departments) != 25 {
		t.Errorf("%d departments, want 25", len(Departments))
	}
	for dni, want := range map[string]bool{"40123456": true, "4012345": false, "401234567": false, "4012345x": false} {
		if got := CheckDNI(dni) == ""; got != want {
			t.Errorf("CheckDNI(%q) valid = %v, want %v", dni, got, want)
		}
	}
}
