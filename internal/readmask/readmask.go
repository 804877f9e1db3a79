// Package readmask honours the read_mask of Get and List requests
// (AIP-157) for every RPC at once: a request with a google.protobuf.FieldMask
// field named read_mask gets back only the named fields of its resource,
// or of each resource of a page. Paths are checked against the resource
// before the call is served, and the answer is pruned after.
package readmask

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/millwa/millwa/internal/millwa"
)

// Field is the name of the request field that carries the mask.
const Field = "read_mask"

// MaxPaths bounds the paths of a read mask: no resource has more fields.
const MaxPaths = 100

// maskName is the full name of the mask's message type.
var maskName = (&fieldmaskpb.FieldMask{}).ProtoReflect().Descriptor().FullName()

// UnaryServerInterceptor applies the read_mask of a unary request, when
// its message has one, to the response of the method: to each of the
// response's message fields (the resource of a Get, the items of a List).
// An empty mask, or one that is only `*`, leaves the response whole. A
// path that names no field of the resource answers InvalidArgument with a
// violation of read_mask.paths[i], before the handler runs.
func UnaryServerInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	paths := requestPaths(req)
	if len(paths) == 0 {
		return handler(ctx, req)
	}
	out, err := responseType(info.FullMethod)
	if err != nil {
		return nil, err
	}
	m, err := Compile(out, paths)
	if err != nil {
		return nil, err
	}
	resp, err := handler(ctx, req)
	if err != nil {
		return resp, err
	}
	if msg, ok := resp.(proto.Message); ok {
		return m.Apply(msg), nil
	}
	return resp, nil
}

// requestPaths returns the paths of req's read mask, or nil when req has
// none, it is empty, or it is only `*` (the whole resource).
func requestPaths(req any) []string {
	msg, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	r := msg.ProtoReflect()
	fd := r.Descriptor().Fields().ByName(Field)
	if fd == nil || fd.Message() == nil || fd.Message().FullName() != maskName || !r.Has(fd) {
		return nil
	}
	paths := r.Get(fd).Message().Interface().(*fieldmaskpb.FieldMask).GetPaths()
	if len(paths) == 1 && strings.TrimSpace(paths[0]) == "*" {
		return nil
	}
	return paths
}

// responseType returns the response message of the method named by a
// gRPC full method name, "/pkg.Service/Method".
func responseType(fullMethod string) (protoreflect.MessageDescriptor, error) {
	name := strings.ReplaceAll(strings.TrimPrefix(fullMethod, "/"), "/", ".")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("read mask of %s: %w", fullMethod, err)
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, fmt.Errorf("read mask of %s: not a method", fullMethod)
	}
	return md.Output(), nil
}

// Mask is a checked read mask for the responses of one method.
type Mask struct {
	// resources are the response fields the mask applies to.
	resources []protoreflect.FieldDescriptor
	// paths are the mask's paths, each a list of field descriptors from
	// the resource down, without duplicates.
	paths [][]protoreflect.FieldDescriptor
}

// Compile checks paths against the resource of the response message out:
// the type of its message fields, singular or repeated. Each path is a
// field name of the resource, snake_case or lowerCamelCase, dotted through
// singular message fields. It returns an Invalid error with a violation of
// read_mask.paths[i] for each path that names no field, and for `*` among
// other paths.
func Compile(out protoreflect.MessageDescriptor, paths []string) (Mask, error) {
	var m Mask
	var resource protoreflect.MessageDescriptor
	fields := out.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Message() == nil || fd.IsMap() {
			continue
		}
		m.resources = append(m.resources, fd)
		resource = fd.Message()
	}
	var vs millwa.Violations
	if len(paths) > MaxPaths {
		vs.Add(Field, "lists %d paths, more than the %d allowed: name fewer fields", len(paths), MaxPaths)
		return Mask{}, vs.Err()
	}
	if resource == nil {
		vs.Add(Field, "this method returns no resource to mask: leave read_mask out")
		return Mask{}, vs.Err()
	}
	seen := map[string]bool{}
	for i, p := range paths {
		p = strings.TrimSpace(p)
		fds, ok := fieldPath(resource, p)
		switch {
		case p == "*":
			vs.Add(fmt.Sprintf("%s.paths[%d]", Field, i), "* stands for the whole resource and must be the only path: send it alone, or name fields only")
		case !ok:
			vs.Add(fmt.Sprintf("%s.paths[%d]", Field, i), "%q is not a field of %s: name its fields, for example name", p, resource.Name())
		case !seen[p]:
			seen[p] = true
			m.paths = append(m.paths, fds)
		}
	}
	if err := vs.Err(); err != nil {
		return Mask{}, err
	}
	return m, nil
}

// fieldPath resolves a dotted path of field names or JSON names in md,
// through singular message fields, and reports false when it names no
// field.
func fieldPath(md protoreflect.MessageDescriptor, p string) ([]protoreflect.FieldDescriptor, bool) {
	if p == "" {
		return nil, false
	}
	parts := strings.Split(p, ".")
	out := make([]protoreflect.FieldDescriptor, 0, len(parts))
	for i, part := range parts {
		if md == nil {
			return nil, false
		}
		fd := md.Fields().ByName(protoreflect.Name(part))
		if fd == nil {
			fd = md.Fields().ByJSONName(part)
		}
		if fd == nil {
			return nil, false
		}
		out = append(out, fd)
		md = nil
		if i < len(parts)-1 && fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
			md = fd.Message()
		}
	}
	return out, true
}

// Apply returns a copy of resp in which each resource, or each item of a
// list of resources, holds only the fields of the mask; the response's
// other fields (a page token) are kept. resp itself is not changed, since
// a handler may answer with a message it keeps.
func (m Mask) Apply(resp proto.Message) proto.Message {
	src := resp.ProtoReflect()
	dst := src.New()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if !m.masks(fd) {
			dst.Set(fd, v)
			return true
		}
		if fd.IsList() {
			in, out := v.List(), dst.Mutable(fd).List()
			for i := range in.Len() {
				out.Append(protoreflect.ValueOfMessage(m.prune(in.Get(i).Message())))
			}
			return true
		}
		dst.Set(fd, protoreflect.ValueOfMessage(m.prune(v.Message())))
		return true
	})
	return dst.Interface()
}

func (m Mask) masks(fd protoreflect.FieldDescriptor) bool {
	for _, r := range m.resources {
		if r == fd {
			return true
		}
	}
	return false
}

// prune returns a new message holding the masked fields of src.
func (m Mask) prune(src protoreflect.Message) protoreflect.Message {
	dst := src.New()
	for _, path := range m.paths {
		s, d := src, dst
		for _, fd := range path[:len(path)-1] {
			if !s.Has(fd) {
				s = nil
				break
			}
			s, d = s.Get(fd).Message(), d.Mutable(fd).Message()
		}
		if s == nil {
			continue
		}
		if last := path[len(path)-1]; s.Has(last) {
			d.Set(last, s.Get(last))
		}
	}
	return dst
}
