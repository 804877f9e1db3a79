package webhook

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeRecipe returns the shell lines of the README's verification
// recipe: the sh block after "To verify a delivery", comments left out.
func readmeRecipe(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "To verify a delivery")
	if !ok {
		t.Fatal(`README.md has no "To verify a delivery" paragraph`)
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatal("README.md's verification paragraph has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatal("README.md's verification block has no command")
	}
	return strings.Join(lines, "\n")
}

// TestREADMERecipe runs the README's shell recipe, as a receiver would,
// on a body signed by Sign: it computes the signature's value for the
// genuine body, and another for the body with one character changed.
func TestREADMERecipe(t *testing.T) {
	for _, tool := range []string{"bash", "openssl", "xxd", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed: CI runs the README's recipe with it", tool)
			}
			t.Skipf("%s is not installed: the README's recipe cannot run", tool)
		}
	}
	recipe := readmeRecipe(t)
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	const id, ts = "2718", int64(1764910800)
	body := `{"id":"2718","type":"MARKET_EVENT_TYPE_TRADE_MATCHED","time":"2026-12-05T05:00:00Z","event":{"id":"2718"}}`
	sig, err := Sign(secret, id, ts, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	run := func(body string) string {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "body.json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(t.Context(), "bash", "-euo", "pipefail", "-c", recipe)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SECRET="+secret, "ID="+id, "TS=1764910800", "SIG="+sig)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the README's recipe: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	want := strings.TrimPrefix(sig, "v1,")
	if got := run(body); got != want {
		t.Errorf("the README's recipe on the genuine body gives %q; want the signature's %q", got, want)
	}
	tampered := strings.Replace(body, "TRADE_MATCHED", "TRADE_PAID", 1)
	if got := run(tampered); got == want {
		t.Errorf("the README's recipe on a tampered body gives the signature's value %q", got)
	}
}
