package console

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// readTexts reads every es/*.json or en/*.json text file by name.
func readTexts(t *testing.T, lang string) map[string]map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("src", "i18n", lang, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no text files for %s: %v", lang, err)
	}
	out := map[string]map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = m
	}
	return out
}

var placeholder = regexp.MustCompile(`\{(\w+)\}`)

func placeholders(s string) string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// usedKey finds the text keys the sources name: t("…"), and nav: "…" of
// the routes.
var usedKey = regexp.MustCompile(`(?:\bt\(\s*|\bnav:\s*|\bi18nKey:\s*)"([a-zA-Z0-9_.-]+)"`)

// TestConsoleTextsBilingual fails on a text missing in either language, on
// a key the sources use that no file has, and on placeholders that differ
// between the two languages.
func TestConsoleTextsBilingual(t *testing.T) {
	es, en := readTexts(t, "es"), readTexts(t, "en")
	all := map[string]string{}
	for name, esTexts := range es {
		enTexts, ok := en[name]
		if !ok {
			t.Errorf("src/i18n/en/%s is missing", name)
			continue
		}
		for k, v := range esTexts {
			if other, dup := all[k]; dup {
				t.Errorf("key %q is in %s and %s", k, other, name)
			}
			all[k] = name
			w, ok := enTexts[k]
			switch {
			case !ok:
				t.Errorf("%s: %q has no English text", name, k)
			case strings.TrimSpace(v) == "" || strings.TrimSpace(w) == "":
				t.Errorf("%s: %q is empty in a language", name, k)
			case placeholders(v) != placeholders(w):
				t.Errorf("%s: %q has placeholders {%s} in Spanish but {%s} in English", name, k, placeholders(v), placeholders(w))
			}
		}
		for k := range enTexts {
			if _, ok := esTexts[k]; !ok {
				t.Errorf("%s: %q has no Spanish text", name, k)
			}
		}
	}
	for name := range en {
		if _, ok := es[name]; !ok {
			t.Errorf("src/i18n/es/%s is missing", name)
		}
	}
	used := 0
	err := filepath.WalkDir("src", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".ts") || strings.HasSuffix(p, ".tsx")) || strings.HasSuffix(p, ".d.ts") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range usedKey.FindAllStringSubmatch(string(b), -1) {
			used++
			if _, ok := all[m[1]]; !ok {
				t.Errorf("%s uses text %q, which no src/i18n file has", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used < 20 {
		t.Fatalf("found only %d text keys in the sources; is the pattern still right?", used)
	}
}

// firstLoad lists the files a first visit downloads: the page, what it
// links (scripts, styles, the manifest and icon), the scripts' static
// imports, and the service worker.
func firstLoad(t *testing.T) []string {
	t.Helper()
	files := Files()
	page, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{"index.html": true, "sw.js": true}
	queue := []string{}
	for _, m := range regexp.MustCompile(`(?:src|href)="/([^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		queue = append(queue, m[1])
	}
	staticImport := regexp.MustCompile(`(?:^|[;}\s])import\s*(?:[\w${}\s,*]+from\s*)?["'` + "`" + `]\.?/?([^"'` + "`" + `]+\.js)["'` + "`" + `]`)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		if strings.HasSuffix(name, ".js") {
			b, err := fs.ReadFile(files, name)
			if err != nil {
				t.Fatalf("index.html or a script names %s, which dist/ does not have", name)
			}
			for _, m := range staticImport.FindAllStringSubmatch(string(b), -1) {
				queue = append(queue, filepath.ToSlash(filepath.Join(filepath.Dir(name), m[1])))
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TestConsoleSizeBudget keeps the first load at most 200 KB compressed
// (gzip at its default level; brotli, which browsers are sent when they
// accept it, does better).
func TestConsoleSizeBudget(t *testing.T) {
	const budget = 200 * 1024
	total := 0
	for _, name := range firstLoad(t) {
		b, err := fs.ReadFile(Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		t.Logf("%-40s %7d bytes, %6d gzipped", name, len(b), buf.Len())
		total += buf.Len()
	}
	t.Logf("first load: %d bytes gzipped (budget %d)", total, budget)
	if total > budget {
		t.Fatalf("the console's first load is %d bytes gzipped, over the budget of %d", total, budget)
	}
}

// absoluteURL finds URLs that would reach another host. XML namespace
// names are identifiers, never fetched, and are allowed.
var absoluteURL = regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'` + "`" + `)<>]*`)

var namespaces = []string{"//www.w3.org/"}

// TestConsoleSameOrigin fails when a built file names any other host: no
// font, script, style, image or call leaves the service's origin. The page
// also forbids it by its Content-Security-Policy, which the browser tests
// exercise.
func TestConsoleSameOrigin(t *testing.T) {
	err := fs.WalkDir(Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Files(), p)
		if err != nil {
			return err
		}
	next:
		for _, u := range absoluteURL.FindAllString(string(b), -1) {
			for _, ns := range namespaces {
				if strings.Contains(u, ns) {
					continue next
				}
			}
			t.Errorf("%s names another host: %s", p, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ContentSecurityPolicy, "default-src 'self'") || strings.Contains(ContentSecurityPolicy, "http") {
		t.Fatalf("the policy must keep everything to the page's origin: %s", ContentSecurityPolicy)
	}
}

// TestConsoleHandler: the page for the application's own paths, assets
// cached for good, the policy on every answer, and the API left alone.
func TestConsoleHandler(t *testing.T) {
	h := Handler()
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	page, _ := fs.ReadFile(Files(), "index.html")
	for _, p := range []string{"/", "/observatorio", "/acopio/recepciones", "/index.html"} {
		rec := get(p)
		if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), page) {
			t.Errorf("GET %s: %d, want the application's page", p, rec.Code)
		}
		if rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", p, rec.Header().Get("Cache-Control"))
		}
		if rec.Header().Get("Content-Security-Policy") != ContentSecurityPolicy {
			t.Errorf("GET %s: no Content-Security-Policy", p)
		}
	}
	assets, _ := fs.Glob(Files(), "assets/*.js")
	if len(assets) == 0 {
		t.Fatal("dist/assets has no script; run npm run build")
	}
	rec := get("/" + assets[0])
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || !strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
		t.Errorf("GET /%s: %d %q %q", assets[0], rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Type"))
	}
	if rec := get("/manifest.webmanifest"); rec.Header().Get("Content-Type") != "application/manifest+json" {
		t.Errorf("manifest served as %q", rec.Header().Get("Content-Type"))
	}
	for p, want := range map[string]bool{
		"/": true, "/observatorio": true, "/sw.js": true, "/" + assets[0]: true,
		"/v1/me": false, "/v1": false, "/openapi.json": false, "/healthz": false, "/metrics": false, "/nothing.json": false,
	} {
		if got := Serves(httptest.NewRequest(http.MethodGet, p, nil)); got != want {
			t.Errorf("Serves(GET %s) = %v, want %v", p, got, want)
		}
	}
	if Serves(httptest.NewRequest(http.MethodPost, "/observatorio", nil)) {
		t.Error("Serves(POST) = true; the console answers GET and HEAD only")
	}
}

// TestConsoleInstallable checks what browsers ask of a web app manifest to
// offer installing the console: names, a start URL inside its scope, a
// standalone display, and PNG icons of 192 and 512 pixels that exist and
// have those sizes.
func TestConsoleInstallable(t *testing.T) {
	b, err := fs.ReadFile(Files(), "manifest.webmanifest")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name      string `json:"name"`
		ShortName string `json:"short_name"`
		StartURL  string `json:"start_url"`
		Scope     string `json:"scope"`
		Display   string `json:"display"`
		Icons     []struct {
			Src   string `json:"src"`
			Sizes string `json:"sizes"`
			Type  string `json:"type"`
		} `json:"icons"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Name == "" || m.ShortName == "" || m.StartURL != "/" || m.Scope != "/" || m.Display != "standalone" {
		t.Errorf("manifest: name %q, short_name %q, start_url %q, scope %q, display %q", m.Name, m.ShortName, m.StartURL, m.Scope, m.Display)
	}
	found := map[int]bool{}
	for _, ic := range m.Icons {
		if ic.Type != "image/png" {
			continue
		}
		f, err := Files().Open(strings.TrimPrefix(ic.Src, "/"))
		if err != nil {
			t.Errorf("icon %s: %v", ic.Src, err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		_ = f.Close()
		if err != nil || fmt.Sprintf("%dx%d", cfg.Width, cfg.Height) != ic.Sizes {
			t.Errorf("icon %s is %dx%d (%v), the manifest says %s", ic.Src, cfg.Width, cfg.Height, err, ic.Sizes)
			continue
		}
		found[cfg.Width] = true
	}
	if !found[192] || !found[512] {
		t.Errorf("the manifest needs PNG icons of 192 and 512 pixels; has %v", found)
	}
	page, _ := fs.ReadFile(Files(), "index.html")
	if !strings.Contains(string(page), `rel="manifest" href="/manifest.webmanifest"`) {
		t.Error("index.html does not link the manifest")
	}
}
