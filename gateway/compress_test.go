package gateway

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNegotiateEncoding(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]string{
		"":                      "",
		"identity":              "",
		"gzip":                  "gzip",
		"gzip, deflate, br":     "br",
		"br;q=0.5, gzip":        "gzip",
		"br;q=0, gzip;q=0":      "",
		"*":                     "gzip",
		"GZIP;q=0.8, zstd":      "gzip",
		"gzip;q=oops, br;q=0.1": "br",
	} {
		if got := negotiateEncoding(header); got != want {
			t.Errorf("negotiateEncoding(%q) = %q, want %q", header, got, want)
		}
	}
}

// TestCompressChoosesWhatToEncode serves bodies of each kind through
// compress over a real listener: long JSON is gzipped, short JSON, PDF,
// PNG and HEAD answers go plain, all with Vary: Accept-Encoding.
func TestCompressChoosesWhatToEncode(t *testing.T) {
	t.Parallel()
	long := strings.Repeat(`{"name":"associations/a/lots/l"},`, 100)
	srv := httptest.NewServer(compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := long
		switch r.URL.Path {
		case "/short":
			body = `{"ok":true}`
		case "/label.pdf":
			w.Header().Set("Content-Type", "application/pdf")
		case "/label.png":
			w.Header().Set("Content-Type", "image/png")
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.Header().Set("Vary", "Accept-Language")
		_, _ = io.WriteString(w, body)
	})))
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, tt := range []struct {
		method, path, want string
	}{
		{http.MethodGet, "/lots", "gzip"},
		{http.MethodGet, "/short", ""},
		{http.MethodGet, "/label.pdf", ""},
		{http.MethodGet, "/label.png", ""},
		{http.MethodHead, "/lots", ""},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		vary := strings.Join(resp.Header.Values("Vary"), ", ")
		if got := resp.Header.Get("Content-Encoding"); got != tt.want || !strings.Contains(vary, "Accept-Encoding") || !strings.Contains(vary, "Accept-Language") {
			t.Errorf("%s %s: Content-Encoding %q, Vary %q; want %q and both Vary entries", tt.method, tt.path, got, vary, tt.want)
			continue
		}
		if tt.want == "gzip" {
			zr, err := gzip.NewReader(strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil || string(plain) != long {
				t.Errorf("%s: gunzipped body differs (%v)", tt.path, err)
			}
		}
	}
}

// TestCompressLeavesEventStreamsPlain sends an event, flushes, and reads
// it on the client while the handler still holds the stream open: server-
// sent events are never encoded, so each one arrives when flushed.
func TestCompressLeavesEventStreamsPlain(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "id: 1\nevent: TRADE_MATCHED\ndata: {}\n\n")
		w.(http.Flusher).Flush()
		<-release
	})))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("Content-Encoding"); got != "" {
		t.Fatalf("event stream Content-Encoding %q, want none", got)
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for len(lines) < 3 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if strings.Join(lines, "\n") != "id: 1\nevent: TRADE_MATCHED\ndata: {}" {
		t.Errorf("event read while the stream is open: %q", lines)
	}
}
