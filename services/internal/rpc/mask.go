package rpc

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/millwa/millwa/internal/millwa"
)

// Mask is what an Update RPC (AIP-134) lets a client change in its
// resource: the top-level fields that may change, and those the server
// fills in. Every other field of the resource is immutable: a mask may name
// it only with the value it has.
type Mask struct {
	// Updatable are the top-level fields a client may change.
	Updatable []string
	// OutputOnly are the fields the server fills in, besides name and
	// etag.
	OutputOnly []string
}

// keyFields are the fields of a resource that identify it (name) and
// condition the change (etag): allowed in a mask, they change nothing.
var keyFields = []string{"name", "etag"}

// Paths are the checked paths of an update mask.
type Paths struct {
	// Change are the paths to change, in the mask's order.
	Change []string
	// fixed are the paths of immutable fields, with the request field each
	// came from: Revise refuses them when they differ.
	fixed []fixedPath
}

type fixedPath struct{ path, field string }

// Paths checks the update_mask of a request whose resource, in, is sent in
// the request field named field. An empty mask stands for every top-level
// field set in in (AIP-134). Each bad path records a violation of
// "update_mask.paths[i]" (of the resource's field, for an empty mask)
// naming it: `*`, a path that is not a field of the resource, an
// output-only field. name and etag change nothing; an immutable field is
// refused by Revise unless its value is the one the resource has. A mask
// naming nothing to change records a violation of "update_mask".
func (m Mask) Paths(vs *millwa.Violations, field string, in proto.Message, mask *fieldmaskpb.FieldMask) Paths {
	md := in.ProtoReflect().Descriptor()
	paths := mask.GetPaths()
	implied := len(paths) == 0
	if implied {
		in.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			paths = append(paths, string(fd.Name()))
			return true
		})
		slices.Sort(paths)
	}
	var out Paths
	for i, given := range paths {
		f := fmt.Sprintf("update_mask.paths[%d]", i)
		if implied {
			f = field + "." + given
		}
		p, ok := fieldPath(md, given)
		top, _, _ := strings.Cut(p, ".")
		switch {
		case given == "*":
			vs.Add(f, "* is not accepted: name each field to change, for example %s", m.Updatable[0])
		case !ok:
			vs.Add(f, "%q is not a field of %s: name its fields, for example %s", given, md.Name(), m.Updatable[0])
		case slices.Contains(keyFields, top):
			// The name says which resource, the etag which version.
		case slices.Contains(m.OutputOnly, top):
			vs.Add(f, "%s is output only: the server sets it", p)
		case !slices.Contains(m.Updatable, top):
			out.fixed = append(out.fixed, fixedPath{path: p, field: f})
		case !slices.Contains(out.Change, p):
			out.Change = append(out.Change, p)
		}
	}
	if len(out.Change) == 0 && len(out.fixed) == 0 && len(*vs) == 0 {
		vs.Add("update_mask", "names nothing to change: list the fields to change, for example %s", m.Updatable[0])
	}
	return out
}

// fieldPath returns p with each part the name of a field of md, through
// singular message fields for a dotted path: a part may be the field's
// name or its JSON name (lowerCamelCase, as REST clients write a mask in a
// query). It reports false when p names no field.
func fieldPath(md protoreflect.MessageDescriptor, p string) (string, bool) {
	parts := strings.Split(p, ".")
	for i, part := range parts {
		fd := md.Fields().ByName(protoreflect.Name(part))
		if fd == nil {
			fd = md.Fields().ByJSONName(part)
		}
		if fd == nil {
			return "", false
		}
		parts[i] = string(fd.Name())
		if i == len(parts)-1 {
			break
		}
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return "", false
		}
		md = fd.Message()
	}
	return strings.Join(parts, "."), true
}

// Apply copies into dst, the resource as read, the value in src, the
// resource of the request sent in the request field named field, of each
// path to change: a field that src does not set is cleared in dst. It
// records a violation of each immutable path whose value in src is not the
// one in dst, and of update_mask when it changes nothing else.
func (ps Paths) Apply(vs *millwa.Violations, field string, dst, src proto.Message) {
	refused := false
	for _, f := range ps.fixed {
		if !proto.Equal(pathValue(dst, f.path), pathValue(src, f.path)) {
			vs.Add(f.field, "%s of the %s cannot be changed: leave it out of the mask, or send the value it has", f.path, field)
			refused = true
		}
	}
	if len(ps.Change) == 0 && !refused {
		vs.Add("update_mask", "names only fields that cannot change: list the fields to change")
	}
	for _, p := range ps.Change {
		copyPath(dst, src, p)
	}
}

// copyPath copies into dst the value in src at path p, or clears it in dst
// when src does not set it.
func copyPath(dst, src proto.Message, p string) {
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	parts := strings.Split(p, ".")
	for _, part := range parts[:len(parts)-1] {
		fd := d.Descriptor().Fields().ByName(protoreflect.Name(part))
		d = d.Mutable(fd).Message()
		s = s.Get(fd).Message()
	}
	fd := d.Descriptor().Fields().ByName(protoreflect.Name(parts[len(parts)-1]))
	if s.Has(fd) {
		d.Set(fd, s.Get(fd))
	} else {
		d.Clear(fd)
	}
}

// Changed reports whether any of the paths to change is one of the
// top-level fields or inside one.
func (ps Paths) Changed(fields ...string) bool {
	for _, p := range ps.Change {
		top, _, _ := strings.Cut(p, ".")
		if slices.Contains(fields, top) {
			return true
		}
	}
	return false
}

// Revise applies the paths of in, a resource of an Update request sent in
// the request field named field, to cur, the resource as read in the API's
// form, and returns the result converted with from, normalised and checked
// as a new resource is, recording violations in vs under field.
func Revise[D any, PD Checked[D], P proto.Message](vs *millwa.Violations, field string, cur, in P, paths Paths, from func(P) D) D {
	paths.Apply(vs, field, cur, in)
	d := from(cur)
	PD(&d).Normalize()
	PD(&d).Check(vs, field)
	return d
}

// pathValue is the value of a message's field at a path, alone in a copy
// of the message, so that values of any kind compare with proto.Equal.
func pathValue(m proto.Message, path string) proto.Message {
	out := m.ProtoReflect().New().Interface()
	copyPath(out, m, path)
	return out
}
