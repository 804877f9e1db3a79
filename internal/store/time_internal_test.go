package store

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTimeValueAndScan(t *testing.T) {
	t.Parallel()
	lima := time.FixedZone("PET", -5*3600)
	for _, tc := range []struct {
		name string
		in   time.Time
		text string
	}{
		{"UTC", time.Date(2026, 5, 17, 9, 30, 0, 0, time.UTC), "2026-05-17T09:30:00.000000Z"},
		{"microseconds", time.Date(2026, 5, 17, 9, 30, 0, 123456000, time.UTC), "2026-05-17T09:30:00.123456Z"},
		{"Lima time becomes UTC", time.Date(2026, 5, 17, 20, 0, 0, 0, lima), "2026-05-18T01:00:00.000000Z"},
		{"earliest", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00.000000Z"},
		{"latest", time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), "9999-12-31T23:59:59.999999Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := dbTime{tc.in}.Value()
			if err != nil {
				t.Fatalf("Value: %v", err)
			}
			if diff := cmp.Diff(tc.text, v); diff != "" {
				t.Errorf("Value (-want +got):\n%s", diff)
			}
			for _, src := range []any{tc.text, []byte(tc.text), tc.in.In(lima)} {
				var got dbTime
				if err := got.Scan(src); err != nil {
					t.Fatalf("Scan(%#v): %v", src, err)
				}
				if got.Time != tc.in.UTC() {
					t.Errorf("Scan(%#v) = %#v, want %#v", src, got.Time, tc.in.UTC())
				}
			}
		})
	}
}

func TestTimeRefuses(t *testing.T) {
	t.Parallel()
	if _, err := (dbTime{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}).Value(); err == nil {
		t.Error("Value of year 10000 succeeded, want an error")
	}
	for _, src := range []any{nil, "yesterday", int64(1)} {
		var got dbTime
		if err := got.Scan(src); err == nil {
			t.Errorf("dbTime.Scan(%#v) succeeded, want an error", src)
		}
	}
}

func TestNullTime(t *testing.T) {
	t.Parallel()
	v, err := dbNullTime{}.Value()
	if err != nil || v != nil {
		t.Errorf("Value of the zero time = %#v, %v; want NULL", v, err)
	}
	var got dbNullTime
	if err := got.Scan(nil); err != nil || !got.IsZero() {
		t.Errorf("Scan(NULL) = %v, %v; want the zero time", got, err)
	}
	in := time.Date(2026, 5, 17, 9, 30, 0, 0, time.UTC)
	if v, err := (dbNullTime{in}).Value(); err != nil || v != "2026-05-17T09:30:00.000000Z" {
		t.Errorf("Value = %#v, %v", v, err)
	}
	if err := got.Scan("2026-05-17T09:30:00.000000Z"); err != nil || got.Time != in {
		t.Errorf("Scan = %v, %v; want %v", got.Time, err, in)
	}
}

func TestNow(t *testing.T) {
	t.Parallel()
	n := now()
	if n.Location() != time.UTC || n.Nanosecond()%1000 != 0 {
		t.Errorf("now() = %v, want UTC at microsecond precision", n)
	}
}
