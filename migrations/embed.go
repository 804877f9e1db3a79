// Package migrations holds Millwa's SQL schema as goose migrations, one
// folder per dialect (postgres/, sqlite/), embedded into the binary.
//
// Migrations are append-only: a released file is never edited; a change is a
// new file with the next number, added to both folders under the same name
// (a test in internal/store checks that the folders agree).
package migrations

import "embed"

// FS holds the migration files: postgres/*.sql and sqlite/*.sql, in goose's
// SQL format. Use fs.Sub(FS, "postgres") or fs.Sub(FS, "sqlite") to get the
// folder of one dialect.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
