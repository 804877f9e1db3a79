package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoDatabase keeps the client free of the server's storage: a
// person's CLI has no use for database drivers, migrations or the store,
// and each would add size and attack surface to the binary.
func TestLinksNoDatabase(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/jackc/pgx",
		"modernc.org/sqlite",
		"github.com/pressly/goose",
		"github.com/jmoiron/sqlx",
		"github.com/millwa/millwa/internal/store",
		"github.com/millwa/millwa/internal/auth",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("millwactl links %s", dep)
			}
		}
	}
}
