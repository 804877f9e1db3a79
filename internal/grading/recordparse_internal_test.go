package grading

import (
	"reflect"
	"testing"
)

// recordCorpus holds records the hand-written parser must read exactly as
// encoding/json does, or leave to it: as EncodeRecord writes them, as the
// first rows were written, and variations of spacing, key case, order,
// repetition, escapes, types and truncation.
var recordCorpus = []string{
	`{"standard":"pe-ntp-231-301-2014","qualityGroup":"BABY","qualityGroupName":{"es":"Alpaca Baby","en":"Alpaca Baby"},"metrics":{"meanFiberDiameterUm":22.95,"sdUm":4.8,"cvPercent":20.915032679738562,"spinningFinenessUm":22.320835251004834,"fibersMeasured":"300","mfdCi95LowUm":22.406828866746398,"mfdCi95HighUm":23.4931711332536},"borderline":true,"alternatives":["FLEECE"],"explanation":{"es":"MFD 22.95 µm, redondeado a 23.0","en":"MFD 22.95 µm, rounded to 23.0"}}`,
	`{"standard":"standards/pe-ntp-231-301-2014", "qualityGroup":"FLEECE",
		"qualityGroupName":{"es":"Fleece","en":"Fleece"},
		"metrics":{"meanFiberDiameterUm":23.1, "sdUm":4.2, "cvPercent":18.18, "spinningFinenessUm":22.4,
		"fibersMeasured":"2000", "mfdCi95LowUm":22.9, "mfdCi95HighUm":23.3},
		"borderline":true, "alternatives":["BABY","FLEECE"], "explanation":{"es":"regla","en":"rule"}}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"meanFiberDiameterUm":2.5e1,"comfortFactorPercent":-0.0}}`,
	`{"qualityGroup":"G","standard":"s","alternatives":[],"borderline":false,"metrics":{}}`,
	` {"standard":"s","qualityGroup":"G"} ` + "\n",
	`{"standard":"s","qualityGroup":"G","explanation":{"es":"a \u003c b","en":"\"x\""}}`,
	`{"standard":"s","qualityGroup":"G","explanation":{"es":"a \\u003c b"}}`,
	`{"Standard":"s","qualityGroup":"G"}`,
	`{"standard":"s","qualityGroup":"G","standard":"t"}`,
	`{"standard":"s","qualityGroup":"G","metrics":null}`,
	`{"standard":"s","qualityGroup":null}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"fibersMeasured":300}}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"fibersMeasured":"3e2"}}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"fibersMeasured":"-0"}}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"fibersMeasured":"99999999999999999999"}}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"meanFiberDiameterUm":01}}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"meanFiberDiameterUm":1e999}}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"meanFiberDiameterUm":.5}}`,
	`{"standard":"s","qualityGroup":"G","metrics":{"sdUm":4.2,"sdUm":4.3}}`,
	`{"standard":"s","qualityGroup":"G","borderline":"true"}`,
	`{"standard":"s","qualityGroup":"G","alternatives":["A",]}`,
	`{"standard":"s","qualityGroup":"G",}`,
	`{"standard":"s","qualityGroup":"G"} {}`,
	`{"standard":"s","qualityGroup":"G"`,
	`{"standard":"s","qualityGroup":"G","quality_group":"F"}`,
	`{"standard":"standards/","qualityGroup":"G"}`,
	`{"standard":"s","qualityGroup":"` + "\xff" + `"}`,
	`{"standard":"s","qualityGroup":"` + "\t" + `"}`,
	``,
	`null`,
	`[]`,
}

// decodeBoth decodes row with both decoders and fails when the parser
// accepts what encoding/json refuses, or reads it otherwise.
func decodeBoth(t *testing.T, row []byte) {
	fast, ok := decodeFast(row)
	slow, err := decodeJSON(row)
	if !ok {
		return // left to encoding/json
	}
	if err != nil {
		t.Fatalf("the parser accepts %q, which encoding/json refuses: %v", row, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: the parser reads %#v, encoding/json %#v", row, fast, slow)
	}
}

func TestParserReadsRecordsAsEncodingJSON(t *testing.T) {
	accepted := 0
	for _, row := range recordCorpus {
		decodeBoth(t, []byte(row))
		if _, ok := decodeFast([]byte(row)); ok {
			accepted++
		}
	}
	// The parser is no mere fallback: it reads the records written by
	// EncodeRecord and by the first rows.
	for _, row := range recordCorpus[:5] {
		if _, ok := decodeFast([]byte(row)); !ok {
			t.Errorf("the parser leaves %q to encoding/json", row)
		}
	}
	if accepted < 5 {
		t.Errorf("the parser accepted %d records of the corpus", accepted)
	}
}

func FuzzParserReadsRecordsAsEncodingJSON(f *testing.F) {
	for _, row := range recordCorpus {
		f.Add([]byte(row))
	}
	f.Fuzz(func(t *testing.T, row []byte) { decodeBoth(t, row) })
}

// BenchmarkDecodeRecordJSON is decoding the first record of the corpus
// (as EncodeRecord writes them) by encoding/json alone, the baseline of
// BenchmarkDecodeRecordParser.
func BenchmarkDecodeRecordJSON(b *testing.B) {
	row := []byte(recordCorpus[0])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeJSON(row); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRecordParser is DecodeRecord of the same record, which
// the hand-written parser reads.
func BenchmarkDecodeRecordParser(b *testing.B) {
	row := []byte(recordCorpus[0])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRecord(row); err != nil {
			b.Fatal(err)
		}
	}
}
