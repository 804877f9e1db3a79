package millwa

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// messageFormatArg maps the functions and methods that take a message
// format to the position of that format among their arguments. Calls are
// recognised by name: Errorf and Wrap only when they are this package's
// (millwa.Errorf inside other packages), Add only with a constant second
// argument (Violations.Add), the store's helpers by their own names.
var messageFormatArg = map[string]int{
	"millwa.Errorf":      1,
	"millwa.Wrap":        2,
	"millwa.Reasonf":     2,
	"millwa.FilterError": 0,
	".Add":               1,
	"oneRow":             2,
	"uniqueTaken":        2,
}

// messageSites are the folders whose Go files speak to clients.
var messageSites = []string{"../../services", "../../internal", "../../gateway"}

// sourceMessage is one constant message format found in the source.
type sourceMessage struct {
	format string
	pos    string
}

// sourceMessages parses every non-test Go file under the message sites and
// returns each constant message format handed to an error constructor, and
// each constant Message of an Error literal and Description of a
// FieldViolation literal (or of a literal whose type is implied).
func sourceMessages(t *testing.T) []sourceMessage {
	t.Helper()
	var out []sourceMessage
	fset := gotoken.NewFileSet()
	for _, root := range messageSites {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			inMillwa := f.Name.Name == "millwa"
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					i, ok := formatArg(n, inMillwa)
					if !ok || i >= len(n.Args) || isInternal(n.Args[0]) {
						return true
					}
					if s, ok := constantString(n.Args[i]); ok {
						out = append(out, sourceMessage{format: s, pos: fset.Position(n.Pos()).String()})
					}
				case *ast.CompositeLit:
					if !isErrorType(n.Type, inMillwa) && n.Type != nil {
						return true
					}
					for _, el := range n.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						if key, ok := kv.Key.(*ast.Ident); ok && (key.Name == "Message" || key.Name == "Description") {
							if s, ok := constantString(kv.Value); ok {
								out = append(out, sourceMessage{format: s, pos: fset.Position(kv.Pos()).String()})
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatalf("scanning %s: %v", root, err)
		}
	}
	return out
}

// formatArg returns the position of the message format among call's
// arguments, when call is one of messageFormatArg's.
func formatArg(call *ast.CallExpr, inMillwa bool) (int, bool) {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		if inMillwa {
			if i, ok := messageFormatArg["millwa."+fn.Name]; ok {
				return i, true
			}
		}
		i, ok := messageFormatArg[fn.Name]
		return i, ok
	case *ast.SelectorExpr:
		if x, ok := fn.X.(*ast.Ident); ok && x.Name == "millwa" {
			i, ok := messageFormatArg["millwa."+fn.Sel.Name]
			return i, ok
		}
		if fn.Sel.Name == "Add" && len(call.Args) >= 2 {
			_, constant := constantString(call.Args[1])
			return 1, constant
		}
	}
	return 0, false
}

// isInternal reports whether e names the Internal code, whose message
// never reaches a caller ("internal error" does, translated).
func isInternal(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Internal"
	case *ast.SelectorExpr:
		return e.Sel.Name == "Internal"
	}
	return false
}

// isErrorType reports whether a composite literal's type is millwa.Error
// or millwa.FieldViolation.
func isErrorType(t ast.Expr, inMillwa bool) bool {
	switch t := t.(type) {
	case *ast.Ident:
		return inMillwa && (t.Name == "Error" || t.Name == "FieldViolation")
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		return ok && x.Name == "millwa" && (t.Sel.Name == "Error" || t.Sel.Name == "FieldViolation")
	}
	return false
}

// constantString returns the value of a string literal or of a sum of
// string literals.
func constantString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != gotoken.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != gotoken.ADD {
			return "", false
		}
		l, ok := constantString(e.X)
		if !ok {
			return "", false
		}
		r, ok := constantString(e.Y)
		return l + r, ok
	case *ast.ParenExpr:
		return constantString(e.X)
	}
	return "", false
}

// TestMessagesTranslated fails naming every message format in the source
// that has no Spanish entry, or whose Spanish entry has other verbs, so
// that no message reaches a Spanish reader in English.
func TestMessagesTranslated(t *testing.T) {
	found := sourceMessages(t)
	if len(found) < 100 {
		t.Fatalf("found only %d message formats in the source: is the scan still finding the constructors?", len(found))
	}
	var missing []string
	seen := map[string]bool{}
	for _, m := range found {
		if seen[m.format] {
			continue
		}
		seen[m.format] = true
		es, ok := messagesES[m.format]
		if !ok {
			missing = append(missing, strconv.Quote(m.format)+": "+strconv.Quote("")+", // "+m.pos)
			continue
		}
		if got, want := formatVerbs(es), formatVerbs(m.format); !slices.Equal(got, want) {
			t.Errorf("%s: the Spanish of %q has verbs %q, the English %q", m.pos, m.format, got, want)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%d message formats have no Spanish entry in messagesES (messages_es.go); add:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	// Formats passed through constants and fields (a kappa message, a
	// weight limit's text) are not found by the scan: check every entry.
	for en, es := range messagesES {
		if got, want := formatVerbs(es), formatVerbs(en); es == "" || !slices.Equal(got, want) {
			t.Errorf("the Spanish of %q is %q, with verbs %q; want the verbs %q", en, es, got, want)
		}
	}
}

func TestErrorText(t *testing.T) {
	var vs Violations
	vs.Add("lot.net_weight_grams", "must be positive, in grams")
	vs.Add("lot.lot_number", "must have at most %d characters, has %d", 40, 52)
	invalid := vs.Err().(*Error)
	tests := []struct {
		name string
		err  *Error
		lang Language
		want string
	}{
		{"format with args, Spanish", Errorf(NotFound, "lot %s not found", "abc"), Spanish, "no se encontró el lote abc"},
		{"noun argument", Errorf(NotFound, "%s %s not found", Noun("purchase order"), "abc"), Spanish, "no encontrado: orden de compra abc"},
		{"noun argument in English", Errorf(NotFound, "%s %s not found", Noun("purchase order"), "abc"), English, "purchase order abc not found"},
		{"format with args, English", Errorf(NotFound, "lot %s not found", "abc"), English, "lot abc not found"},
		{"constant message literal", &Error{Code: NotFound, Message: "not found"}, Spanish, "no encontrado"},
		{"untranslated message stays English", Errorf(NotFound, "no such thing %d", 7), Spanish, "no such thing 7"},
		{"violations summary", invalid, Spanish, "solicitud no válida: revise lot.net_weight_grams, lot.lot_number"},
		{"reason kept", Reasonf(Aborted, "X", "the change conflicted with a concurrent one; retry"), Spanish, "el cambio chocó con otro simultáneo; vuelva a intentarlo"},
	}
	for _, tt := range tests {
		if got := tt.err.Text(tt.lang); got != tt.want {
			t.Errorf("%s: Text = %q, want %q", tt.name, got, tt.want)
		}
	}
	prefixed := invalid.Violations
	prefixed = Violations(prefixed).Prefix("batch")
	if got, want := prefixed[1].Text(Spanish), "debe tener como máximo 40 caracteres, tiene 52"; got != want {
		t.Errorf("prefixed violation in Spanish = %q, want %q", got, want)
	}
	if got, want := prefixed[0].Text(English), "must be positive, in grams"; got != want || prefixed[0].Field != "batch.lot.net_weight_grams" {
		t.Errorf("prefixed violation in English = %q at %s, want %q at batch.lot.net_weight_grams", got, prefixed[0].Field, want)
	}
	if Spanish.Locale() != "es-PE" || English.Locale() != "en" {
		t.Errorf("locales: %q, %q", Spanish.Locale(), English.Locale())
	}
}

func TestFormatVerbs(t *testing.T) {
	got := formatVerbs("a %s b %5.2f c %% d %-8q e %[1]d")
	want := []string{"%s", "%5.2f", "%-8q", "%[1]d"}
	if !slices.Equal(got, want) {
		t.Errorf("formatVerbs = %q, want %q", got, want)
	}
}
