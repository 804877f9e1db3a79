package gateway

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"sync"
)

var (
	openAPIOnce sync.Once
	openAPIDoc  []byte
)

// BuildVersion is the version of the running binary, for the OpenAPI
// document's info.version: the main module's version when it was built
// from a tagged module (go install …@v1.2.3), else the VCS revision Go
// stamps into binaries built in a checkout (its first 12 hex digits,
// "-dirty" when the tree had changes), else "0.0.0-dev" (tests, go run).
func BuildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "0.0.0-dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision == "" {
		return "0.0.0-dev"
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified == "true" {
		revision += "-dirty"
	}
	return "0.0.0-" + revision
}

// withVersion returns the document with info.version set to version,
// keeping every other member as written (the order of the members too).
func withVersion(doc []byte, version string) []byte {
	old := []byte(`"version": "0.0.0-dev"`)
	v, err := json.Marshal(version)
	if err != nil || bytes.Count(doc, old) != 1 {
		return doc
	}
	return bytes.Replace(doc, old, append([]byte(`"version": `), v...), 1)
}
