package webhook

import (
	"net/http"
	"testing"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// TestSignatureKnownAnswer checks Sign against a signature computed with
// the README's openssl recipe, and Verify's refusals.
func TestSignatureKnownAnswer(t *testing.T) {
	const secret = "whsec_hsnyDdl93J2xkZ63Efy4ljV84bDsNHk+z4obnqFQ0NY="
	body := []byte(`{"id":"42","type":"MARKET_EVENT_TYPE_TRADE_MATCHED","time":"2026-12-05T05:00:00Z","event":{}}`)
	sig, err := Sign(secret, "42", 1764910800, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,yVR/xp8GVdTOpmBm1TKXfhECHzTYCbcZsjET7IZsE2k="; sig != want {
		t.Fatalf("Sign = %s, want %s (openssl)", sig, want)
	}
	at := time.Unix(1764910800, 0)
	h := http.Header{}
	h.Set(HeaderID, "42")
	h.Set(HeaderTimestamp, "1764910800")
	h.Set(HeaderSignature, "v1,bm90IGl0 "+sig)
	for _, tt := range []struct {
		name   string
		secret string
		h      http.Header
		body   string
		now    time.Time
		want   error
	}{
		{"genuine, second of two signatures", secret, h, string(body), at.Add(4 * time.Minute), nil},
		{"tampered body", secret, h, string(body[:len(body)-1]) + `x}`, at, ErrNoSignature},
		{"another secret", "whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", h, string(body), at, ErrNoSignature},
		{"too old", secret, h, string(body), at.Add(6 * time.Minute), ErrTimestamp},
		{"from the future", secret, h, string(body), at.Add(-6 * time.Minute), ErrTimestamp},
	} {
		if err := Verify(tt.secret, tt.h, []byte(tt.body), tt.now); err != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tt := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://erp.example.pe/millwa", false, true},
		{"http://127.0.0.1:8080/hook", true, true},
		{"http://localhost/hook", true, true},
		{"http://[::1]/hook", true, true},
		{"http://127.0.0.1:8080/hook", false, false},
		{"http://localhost/hook", false, false},
		{"http://erp.example.pe/hook", true, false},
		{"https://user:pass@erp.example.pe/", false, false},
		{"https://erp.example.pe/#frag", false, false},
		{"ftp://erp.example.pe/", false, false},
		{"erp.example.pe/hook", false, false},
		{"", false, false},
	} {
		var vs millwa.Violations
		CheckURL(&vs, "url", tt.url, tt.allowPrivate)
		if got := len(vs) == 0; got != tt.ok {
			t.Errorf("CheckURL(%q, allowPrivate %v): %v, want ok %v", tt.url, tt.allowPrivate, vs, tt.ok)
		}
	}
}

func TestBackoffDoublesToAnHour(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		max     time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {10, 2560 * time.Second}, {11, time.Hour}, {40, time.Hour}} {
		got := Backoff(tt.attempt)
		if got > tt.max || got < tt.max*4/5 {
			t.Errorf("Backoff(%d) = %v, want within [%v, %v]", tt.attempt, got, tt.max*4/5, tt.max)
		}
	}
}
