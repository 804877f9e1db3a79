// Command googleapis writes the googleapis .proto files that the Millwa API
// imports (google/api/field_behavior.proto) under .googleapis,
// for buf. There is no registry to fetch them from, so they are printed
// from the descriptors compiled into google.golang.org/genproto, the
// version pinned in go.mod; they are not committed. Run it before
// `go tool buf lint` or `go tool buf generate`:
//
//	go run ./cmd/internal/googleapis
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func main() {
	out := ".googleapis"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	for _, fd := range []protoreflect.FileDescriptor{annotations.File_google_api_field_behavior_proto} {
		path := filepath.Join(out, filepath.FromSlash(fd.Path()))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(printFile(fd)), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// printFile prints the parts of a .proto file that the annotation files
// use: enums and extensions of the descriptor options, with the file's
// go_package.
func printFile(fd protoreflect.FileDescriptor) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Printed by cmd/internal/googleapis from the descriptor of %s\n", fd.Path())
	b.WriteString("// in google.golang.org/genproto; do not edit.\n\n")
	fmt.Fprintf(&b, "syntax = %q;\n\npackage %s;\n\n", fd.Syntax().String(), fd.Package())
	for i := 0; i < fd.Imports().Len(); i++ {
		fmt.Fprintf(&b, "import %q;\n", fd.Imports().Get(i).Path())
	}
	fmt.Fprintf(&b, "\noption go_package = %q;\n", "google.golang.org/genproto/googleapis/api/annotations;annotations")
	for i := 0; i < fd.Enums().Len(); i++ {
		e := fd.Enums().Get(i)
		fmt.Fprintf(&b, "\nenum %s {\n", e.Name())
		for j := 0; j < e.Values().Len(); j++ {
			v := e.Values().Get(j)
			fmt.Fprintf(&b, "  %s = %d;\n", v.Name(), v.Number())
		}
		b.WriteString("}\n")
	}
	for i := 0; i < fd.Extensions().Len(); i++ {
		x := fd.Extensions().Get(i)
		label := ""
		if x.Cardinality() == protoreflect.Repeated {
			label = "repeated "
		}
		typ := x.Kind().String()
		if x.Enum() != nil {
			typ = "." + string(x.Enum().FullName())
		} else if x.Message() != nil {
			typ = "." + string(x.Message().FullName())
		}
		opts := ""
		if x.Cardinality() == protoreflect.Repeated && !x.IsPacked() {
			opts = " [packed = false]"
		}
		fmt.Fprintf(&b, "\nextend .%s {\n  %s%s %s = %d%s;\n}\n", x.ContainingMessage().FullName(), label, typ, x.Name(), x.Number(), opts)
	}
	return b.String()
}
