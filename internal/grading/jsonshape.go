package grading

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// checkShape walks a data file's JSON along the Go type it decodes into and
// records, with their JSON paths, what encoding/json would not say or would
// say without a path: unknown fields (matched exactly, not ignoring case),
// duplicate keys, values of the wrong JSON type, nulls where a value is
// required, and syntax errors with their line and column. decodable is
// false when the file cannot be decoded at all (a syntax or type error);
// unknown fields and duplicate keys leave it decodable, so that the rest of
// the file can still be validated.
func checkShape(file string, data []byte, t reflect.Type) (errs []error, decodable bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	c := &shapeChecker{file: file, data: data, dec: dec, decodable: true}
	if err := c.value(t, ""); err != nil {
		c.syntax(err)
		return c.errs, false
	}
	if _, err := dec.Token(); err != io.EOF {
		c.fatal("", fmt.Sprintf("unexpected data after the standard's object at %s: a file holds one standard", c.position(dec.InputOffset())))
	}
	return c.errs, c.decodable
}

type shapeChecker struct {
	file      string
	data      []byte
	dec       *json.Decoder
	errs      []error
	decodable bool
}

// add records a problem that leaves the file decodable.
func (c *shapeChecker) add(path, problem string) {
	c.errs = append(c.errs, &FileError{File: c.file, Field: path, Problem: problem})
}

// fatal records a problem that stops the file from being decoded.
func (c *shapeChecker) fatal(path, problem string) {
	c.add(path, problem)
	c.decodable = false
}

// syntax records a syntax error, or an unexpected end of the file.
func (c *shapeChecker) syntax(err error) {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		c.fatal("", fmt.Sprintf("invalid JSON at %s: %v", c.position(se.Offset), err))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		c.fatal("", "invalid JSON: the file ends early")
	default:
		c.fatal("", "invalid JSON: "+err.Error())
	}
}

// position writes a byte offset as a line and column, both from 1.
func (c *shapeChecker) position(offset int64) string {
	offset = min(max(offset, 0), int64(len(c.data)))
	before := c.data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

func (c *shapeChecker) value(t reflect.Type, path string) error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	return c.valueFrom(tok, t, path)
}

func (c *shapeChecker) valueFrom(tok json.Token, t reflect.Type, path string) error {
	if tok == nil {
		if t.Kind() != reflect.Pointer && t.Kind() != reflect.Slice {
			c.fatal(path, "must not be null")
		}
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			c.fatal(path, "must be an object")
			return c.skipRest(tok)
		}
		return c.object(t, path)
	case reflect.Slice:
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			c.fatal(path, "must be an array")
			return c.skipRest(tok)
		}
		for i := 0; c.dec.More(); i++ {
			if err := c.value(t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err := c.dec.Token() // ]
		return err
	case reflect.String:
		if _, ok := tok.(string); !ok {
			c.fatal(path, "must be a string")
			return c.skipRest(tok)
		}
	case reflect.Float64:
		n, ok := tok.(json.Number)
		if _, err := n.Float64(); !ok || err != nil {
			c.fatal(path, "must be a number")
			return c.skipRest(tok)
		}
	case reflect.Int:
		n, ok := tok.(json.Number)
		if _, err := strconv.ParseInt(string(n), 10, 32); !ok || err != nil {
			c.fatal(path, "must be a whole number")
			return c.skipRest(tok)
		}
	default:
		return fmt.Errorf("grading: no JSON shape for %v", t)
	}
	return nil
}

func (c *shapeChecker) object(t reflect.Type, path string) error {
	fields := jsonFields(t)
	seen := map[string]bool{}
	for c.dec.More() {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		fp := key
		if path != "" {
			fp = path + "." + key
		}
		ft, known := fields[key]
		switch {
		case !known:
			c.add(fp, "unknown field"+suggest(key, fields))
			err = c.skip()
		case seen[key]:
			c.add(fp, "duplicate key: each field may be given once")
			err = c.skip()
		default:
			seen[key] = true
			err = c.value(ft, fp)
		}
		if err != nil {
			return err
		}
	}
	_, err := c.dec.Token() // }
	return err
}

// skip consumes one value.
func (c *shapeChecker) skip() error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	return c.skipRest(tok)
}

// skipRest consumes the rest of a value whose first token was tok.
func (c *shapeChecker) skipRest(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

// jsonFields maps a struct's JSON field names to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// suggest names the field a mistyped key probably meant, or lists the
// fields.
func suggest(key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		if strings.EqualFold(name, key) || strings.EqualFold(strings.ReplaceAll(name, "_", ""), strings.ReplaceAll(key, "_", "")) {
			return fmt.Sprintf(": did you mean %q?", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return ": the fields here are " + strings.Join(names, ", ")
}
