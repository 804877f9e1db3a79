package grading

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// shipped holds the standards built into the binary.
//
//go:embed standards/*.json
var shipped embed.FS

// defaultID is the standard used when a caller names none.
const defaultID = "pe-ntp-231-301-2014"

// maxFileBytes bounds a standard's data file; the shipped ones are a few
// kilobytes.
const maxFileBytes = 1 << 20

// Registry holds the loaded standards. It is read-only after Load and safe
// for concurrent use.
type Registry struct {
	byID map[string]*Standard
	list []*Standard
}

// source is a standard with the file it was read from.
type source struct {
	std  *Standard
	file string
}

// Load returns the shipped standards (embedded in the binary) with the
// *.json files of dir, when dir is not empty, laid over them: a file whose
// id is that of a shipped standard replaces it, any other adds a standard.
// Files in dir whose names start with "." and subdirectories are ignored.
//
// Every file is validated. The error, when there is one, joins a *FileError
// for every problem found in every file, each naming the file, the field by
// its JSON path, and what is wrong: unknown fields, missing or duplicate
// ids, unordered groups, overlapping or gapped bands, bad codes, a fleece
// classification whose group standard or fine groups do not exist,
// categories that are not contiguous, and so on.
func Load(dir string) (*Registry, error) {
	var errs []error
	var files []fileData
	names, err := fs.Glob(shipped, "standards/*.json")
	if err != nil {
		return nil, fmt.Errorf("listing the shipped standards: %w", err)
	}
	for _, name := range names {
		data, err := shipped.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading the shipped standard %s: %w", name, err)
		}
		files = append(files, fileData{name: name, data: data})
	}
	byID, es := parseSet(files)
	errs = append(errs, es...)

	if dir != "" {
		files, es := readDir(dir)
		errs = append(errs, es...)
		overrides, es := parseSet(files)
		errs = append(errs, es...)
		for id, src := range overrides {
			byID[id] = src
		}
	}

	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		errs = append(errs, crossCheck(byID[id], byID)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if _, ok := byID[defaultID]; !ok {
		return nil, fmt.Errorf("the default standard %s is not loaded", defaultID)
	}
	r := &Registry{byID: make(map[string]*Standard, len(byID))}
	for _, id := range ids {
		r.byID[id] = byID[id].std
		r.list = append(r.list, byID[id].std)
	}
	return r, nil
}

// Get returns the standard with the id.
func (r *Registry) Get(id string) (*Standard, bool) {
	s, ok := r.byID[id]
	return s, ok
}

// List returns every standard, ordered by id.
func (r *Registry) List() []*Standard {
	return slices.Clone(r.list)
}

// DefaultID returns the id of the default standard, "pe-ntp-231-301-2014".
func (r *Registry) DefaultID() string { return defaultID }

type fileData struct {
	name string
	data []byte
}

// readDir reads the operator's *.json files, in name order.
func readDir(dir string) ([]fileData, []error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []error{&FileError{File: dir, Problem: "cannot read the standards directory: " + err.Error()}}
	}
	var files []fileData
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := readLimited(path)
		if err != nil {
			errs = append(errs, &FileError{File: path, Problem: err.Error()})
			continue
		}
		files = append(files, fileData{name: path, data: data})
	}
	return files, errs
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, errors.New("is a directory")
	}
	if info.Size() > maxFileBytes {
		return nil, fmt.Errorf("is %d bytes, more than the %d a standard may take", info.Size(), maxFileBytes)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// parseSet parses and validates files of one origin (shipped, or the
// operator's directory), in which an id may appear only once.
func parseSet(files []fileData) (map[string]source, []error) {
	byID := map[string]source{}
	var errs []error
	for _, f := range files {
		std, es := parseStandard(f.name, f.data)
		if len(es) > 0 {
			errs = append(errs, es...)
			continue
		}
		if prev, dup := byID[std.ID]; dup {
			errs = append(errs, &FileError{File: f.name, Field: "id", Problem: fmt.Sprintf("duplicate id %q: %s has it too", std.ID, prev.file)})
			continue
		}
		byID[std.ID] = source{std: std, file: f.name}
	}
	return byID, errs
}

// parseStandard decodes and validates one file, and sets its digest. A file
// with unknown fields or duplicate keys is still decoded, leniently, so that
// its other problems are reported with them; it is never loaded.
func parseStandard(file string, data []byte) (*Standard, []error) {
	errs, decodable := checkShape(file, data, reflect.TypeFor[Standard]())
	if !decodable {
		return nil, errs
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if len(errs) == 0 {
		dec.DisallowUnknownFields()
	}
	std := new(Standard)
	if err := dec.Decode(std); err != nil {
		return nil, append(errs, &FileError{File: file, Problem: err.Error()})
	}
	if errs = append(errs, validate(file, std)...); len(errs) > 0 {
		return nil, errs
	}
	canonical, err := json.Marshal(std)
	if err != nil {
		return nil, []error{&FileError{File: file, Problem: err.Error()}}
	}
	sum := sha256.Sum256(canonical)
	std.Digest = hex.EncodeToString(sum[:])
	return std, nil
}

// GradingStandard returns the standard a request names for grading:
// "standards/{id}", or the default standard for "". ok is false for any
// other name, an unknown id, or a standard without quality groups (fleece
// categories only).
func (r *Registry) GradingStandard(name string) (st *Standard, ok bool) {
	if name == "" {
		name = "standards/" + r.DefaultID()
	}
	id, found := strings.CutPrefix(name, "standards/")
	if !found {
		return nil, false
	}
	st, ok = r.Get(id)
	return st, ok && len(st.QualityGroups) > 0
}
