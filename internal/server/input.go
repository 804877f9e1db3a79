package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/millwa/millwa/internal/millwa"
)

// This file checks what a client sends before any handler, or the
// authentication that reads the database, sees it: bytes that are not a
// protobuf message of the method's request type, and text that no field
// may hold (NUL, which PostgreSQL cannot store, and other control
// characters).

// inputCodec is the server's protobuf codec. gRPC answers INTERNAL for any
// error a codec's Unmarshal returns, yet malformed bytes are the client's
// mistake; so Unmarshal reports success with the message reset, and notes
// the failure for checkInput (unary) or checkedStream (streams), which
// answer INVALID_ARGUMENT. A note is taken by the first interceptor that
// sees the message, before anything that may refuse the call, so that none
// is left behind.
type inputCodec struct {
	base encoding.CodecV2
	// failed maps a message that did not decode to its error.
	failed sync.Map
}

func newInputCodec() *inputCodec {
	return &inputCodec{base: encoding.GetCodecV2("proto")}
}

// Marshal marshals v, or, for a message that keeps its own encoding (a
// market event sent to thousands of streams, see market.sharedResponse),
// sends those bytes as they are, shared by every stream: the transport
// only reads them.
func (c *inputCodec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(interface{ MarshalOnce() ([]byte, error) }); ok {
		b, err := m.MarshalOnce()
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	return c.base.Marshal(v)
}

func (c *inputCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok {
		return err
	}
	proto.Reset(m)
	c.failed.Store(v, err)
	return nil
}

func (c *inputCodec) Name() string { return c.base.Name() }

// decodeError returns the status of a message that did not decode, or nil,
// and forgets the note.
func (c *inputCodec) decodeError(v any) error {
	err, ok := c.failed.LoadAndDelete(v)
	if !ok {
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "the request is not a valid protobuf message of the method's request type (%v): send the message the method's .proto declares", err)
}

// maxTextViolations bounds the violations one request reports: enough to
// fix a request, not a way to make the server write a long answer.
const maxTextViolations = 20

// checkInput refuses a unary call whose request did not decode or holds
// text no field may hold.
func (s *Server) checkInput(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := s.inputError(ctx, info.FullMethod, req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// checkInputStream checks every message a stream receives, as checkInput
// does a unary request.
func (s *Server) checkInputStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &checkedStream{ServerStream: ss, s: s, method: info.FullMethod})
}

// checkedStream is a ServerStream whose received messages are checked.
type checkedStream struct {
	grpc.ServerStream
	s      *Server
	method string
}

func (c *checkedStream) RecvMsg(m any) error {
	if err := c.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return c.s.inputError(c.Context(), c.method, m)
}

// inputError is the status refusing req, or nil.
func (s *Server) inputError(ctx context.Context, method string, req any) error {
	if s.codec != nil {
		if err := s.codec.decodeError(req); err != nil {
			return err
		}
	}
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	var vs millwa.Violations
	checkText(&vs, m.ProtoReflect(), "")
	return toStatus(ctx, s.log, method, vs.Err())
}

// checkText records a violation for every string in m, its nested
// messages, lists and maps (keys and values) that holds a control
// character millwa.ForbiddenControl forbids, named by its path from the
// request: "association.contact.person_name", "requests[3].lot.lot_number",
// `group_grams["BABY"]`. Fields are visited in declaration order, so that
// the answer is the same each time. A path is built only for a string
// that is refused or a message descended into: most requests hold none,
// and then checking them allocates nothing.
func checkText(vs *millwa.Violations, m protoreflect.Message, prefix string) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len() && len(*vs) < maxTextViolations; i++ {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		switch {
		case fd.IsMap():
			checkMap(vs, fd, v.Map(), prefix+string(fd.Name()))
		case fd.IsList():
			l := v.List()
			for j := 0; j < l.Len() && len(*vs) < maxTextViolations; j++ {
				checkValue(vs, fd, l.Get(j), func() string { return fmt.Sprintf("%s%s[%d]", prefix, fd.Name(), j) })
			}
		default:
			checkValue(vs, fd, v, func() string { return prefix + string(fd.Name()) })
		}
	}
}

// checkMap checks a map's string keys and its values.
func checkMap(vs *millwa.Violations, fd protoreflect.FieldDescriptor, mp protoreflect.Map, path string) {
	keys := make([]protoreflect.MapKey, 0, mp.Len())
	mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	// Map order is random; sorting keeps the answer stable.
	slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return strings.Compare(a.String(), b.String()) })
	for _, k := range keys {
		if len(*vs) >= maxTextViolations {
			return
		}
		entry := path + "[" + strconv.Quote(k.String()) + "]"
		if fd.MapKey().Kind() == protoreflect.StringKind {
			if r, i, bad := millwa.ForbiddenControl(k.String()); bad {
				vs.Add(entry, "has a key that %s", millwa.ControlMessage(r, i))
				continue
			}
		}
		checkValue(vs, fd.MapValue(), mp.Get(k), func() string { return entry })
	}
}

// checkValue checks one string, or descends into one message; path
// names it.
func checkValue(vs *millwa.Violations, fd protoreflect.FieldDescriptor, v protoreflect.Value, path func() string) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if t := v.String(); !plainText(t) {
			millwa.CheckText(vs, path(), t)
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		checkText(vs, v.Message(), path()+".")
	}
}

// plainText reports whether s is valid UTF-8 free of the control
// characters millwa.CheckText refuses, so that it needs no closer look.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	_, _, bad := millwa.ForbiddenControl(s)
	return !bad
}
