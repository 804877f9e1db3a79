package grading_test

import (
	"testing"

	"github.com/millwa/millwa/internal/grading"
)

// storedRecord is the record of a borderline grade with every metric, as
// EncodeRecord writes it and GetLot reads it back on every call.
func storedRecord(b *testing.B) []byte {
	b.Helper()
	g, err := standard(b, "pe-ntp-231-301-2014").Grade(measured(22.95, 4.8, 300))
	if err != nil {
		b.Fatal(err)
	}
	rec, err := grading.EncodeRecord(g)
	if err != nil {
		b.Fatal(err)
	}
	return rec
}

// BenchmarkDecodeRecord is the decoding of a stored grade, as every read
// of a lot or a check grading does.
func BenchmarkDecodeRecord(b *testing.B) {
	rec := storedRecord(b)
	b.ReportAllocs()
	for b.Loop() {
		g, err := grading.DecodeRecord(rec)
		if err != nil {
			b.Fatal(err)
		}
		sink = g
	}
}
