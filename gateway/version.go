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

// version is set at build time with
// -ldflags "-X github.com/millwa/millwa/gateway.version=…", as the
// container image's build does: the one place the binary's version is
// set, which `millwa version` and the logs read too.
var version = "dev"

// BuildVersion is the version of the running binary, for the OpenAPI
// document's info.version and `millwa version`: the version
// set at build time when there is one, else the main module's version when
// it was built from a tagged module (go install …@v1.2.3), else "dev-" and
// the first 12 hex digits of the VCS revision Go stamps into binaries built
// in a checkout ("-dirty" added when the tree had changes), else "dev"
// (tests, go run).
func BuildVersion() string {
	if version != "dev" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
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
	if len(revision) < 12 {
		return version
	}
	v := "dev-" + revision[:12]
	if modified == "true" {
		v += "-dirty"
	}
	return v
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
