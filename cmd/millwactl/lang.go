package main

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// envLang chooses millwactl's language when --lang is not given.
const envLang = "MILLWA_LANG"

// language is the language millwactl speaks: its messages, progress and
// summaries, and the accept-language it sends so that the server's errors
// come in the same language. Messages are written in English and
// translated through messagesES, keyed by the English format.
type language int

// Languages.
const (
	spanish language = iota // the default: the language of the associations
	english
)

// parseLanguage reads a --lang or MILLWA_LANG value: es, es-PE, en, en-GB….
func parseLanguage(v string) (language, error) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(v)), "-")
	base, _, _ = strings.Cut(base, "_")
	switch base {
	case "es":
		return spanish, nil
	case "en":
		return english, nil
	}
	return spanish, fmt.Errorf("--lang %q: use es (español) or en (English)", v)
}

// acceptLanguage is the accept-language sent to the server.
func (l language) acceptLanguage() string {
	if l == english {
		return "en"
	}
	return "es-PE, es;q=0.9"
}

// format is the format string in l: its Spanish when l is Spanish and the
// catalogue has it, else the English.
func (l language) format(format string) string {
	if l == spanish {
		if es, ok := messagesES[format]; ok {
			return es
		}
	}
	return format
}

// sprintf formats a message in l.
func (l language) sprintf(format string, args ...any) string {
	return fmt.Sprintf(l.format(format), args...)
}

// errorf is fmt.Errorf with the format in l; %w wraps as usual.
func (l language) errorf(format string, args ...any) error {
	return fmt.Errorf(l.format(format), args...)
}

// pick returns es or en, for texts that are not message formats (help).
func (l language) pick(es, en string) string {
	if l == english {
		return en
	}
	return es
}

// dialLanguage adds accept-language to every call on a connection.
func dialLanguage(l language) []grpc.DialOption {
	add := func(ctx context.Context) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "accept-language", l.acceptLanguage())
	}
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(add(ctx), method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(add(ctx), desc, cc, method, opts...)
		}),
	}
}
