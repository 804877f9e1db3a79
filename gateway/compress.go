package gateway

import (
	"bufio"
	"compress/gzip"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// minCompressBytes is the smallest body worth compressing: below it, the
// encoding's framing and the CPU cost outweigh the bytes saved.
const minCompressBytes = 1024

// brotliLevel trades ratio for speed: level 4 compresses JSON about as
// well as gzip's default, several times faster than brotli's best.
const brotliLevel = 4

// incompressible are the media types sent as they are: they are
// compressed already (PDF pages, PNG images), or, for server-sent events,
// each event must reach the client as soon as it is written, and a
// compressor would hold small events back in its window. Events are small
// and sparse, so leaving them plain costs little.
var incompressible = map[string]bool{
	"application/pdf":   true,
	"image/png":         true,
	"image/jpeg":        true,
	"application/zip":   true,
	"application/gzip":  true,
	"text/event-stream": true,
}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression)
	return w
}}

var brotliWriters = sync.Pool{New: func() any {
	return brotli.NewWriterLevel(io.Discard, brotliLevel)
}}

// compress encodes responses with brotli or gzip when the request's
// Accept-Encoding allows it (brotli first at equal preference), and sets
// Vary: Accept-Encoding on every response so that caches keep the
// encodings apart. Bodies under minCompressBytes, responses that carry a
// Content-Encoding already (/metrics compresses its own), HEAD, 204 and
// 304 answers and the incompressible media types are sent as they are.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := negotiateEncoding(r.Header.Get("Accept-Encoding"))
		if r.Method == http.MethodHead {
			enc = ""
		}
		// Wrapped even when nothing is to be encoded, to set Vary on the
		// header the handler writes.
		cw := &compressWriter{ResponseWriter: w, encoding: enc}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

// negotiateEncoding returns "br", "gzip" or "" for an Accept-Encoding
// header: the encoding of highest quality, brotli first at a tie; "*"
// stands for gzip; a quality of 0 refuses an encoding.
func negotiateEncoding(header string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			q = f
		}
		if name == "*" {
			name = "gzip"
		}
		if (name != "br" && name != "gzip") || q <= 0 {
			continue
		}
		if q > bestQ || (q == bestQ && name == "br") {
			best, bestQ = name, q
		}
	}
	return best
}

// compressWriter holds back the first minCompressBytes of a body to
// decide: a short body goes out plain, a longer one encoded.
type compressWriter struct {
	http.ResponseWriter
	encoding string
	status   int
	buf      []byte
	// decided is set once the body goes out plain or encoded.
	decided bool
	// enc is the encoder when the body is encoded.
	enc interface {
		io.WriteCloser
		Flush() error
		Reset(io.Writer)
	}
}

func (c *compressWriter) WriteHeader(code int) {
	if c.status == 0 && !c.decided {
		c.status = code
		if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified {
			c.plain()
		}
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *compressWriter) Write(p []byte) (int, error) {
	if !c.decided {
		if !c.compressible() {
			c.plain()
		} else if len(c.buf)+len(p) < minCompressBytes {
			c.buf = append(c.buf, p...)
			return len(p), nil
		} else {
			c.encode()
		}
	}
	if c.enc != nil {
		return c.enc.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// compressible reports whether the response as headed may be encoded.
func (c *compressWriter) compressible() bool {
	h := c.Header()
	if c.encoding == "" || h.Get("Content-Encoding") != "" {
		return false
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return !incompressible[mt]
}

// plain sends the header and what was held back as they are.
func (c *compressWriter) plain() {
	c.decided = true
	c.writeHeader()
	if len(c.buf) > 0 {
		_, _ = c.ResponseWriter.Write(c.buf)
		c.buf = nil
	}
}

// encode sends the header of an encoded body, then what was held back
// through the encoder.
func (c *compressWriter) encode() {
	c.decided = true
	h := c.Header()
	h.Del("Content-Length")
	h.Set("Content-Encoding", c.encoding)
	if c.encoding == "br" {
		c.enc = brotliWriters.Get().(*brotli.Writer)
	} else {
		c.enc = gzipWriters.Get().(*gzip.Writer)
	}
	c.enc.Reset(c.ResponseWriter)
	c.writeHeader()
	if len(c.buf) > 0 {
		_, _ = c.enc.Write(c.buf)
		c.buf = nil
	}
}

// writeHeader sends the header, with Accept-Encoding added to Vary (a
// handler may have set Vary for its own reasons).
func (c *compressWriter) writeHeader() {
	h := c.Header()
	if !slices.ContainsFunc(h.Values("Vary"), func(v string) bool { return strings.Contains(v, "Accept-Encoding") }) {
		addVary(h, "Accept-Encoding")
	}
	if c.status != 0 {
		c.ResponseWriter.WriteHeader(c.status)
	}
}

// Flush sends what was written so far: a response not yet decided goes
// out plain (whoever flushes wants bytes on the wire now), an encoded one
// flushes its encoder first.
func (c *compressWriter) Flush() {
	if !c.decided {
		c.plain()
	}
	if c.enc != nil {
		_ = c.enc.Flush()
	}
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets a handler take the connection over, as without compression.
func (c *compressWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(c.ResponseWriter).Hijack()
}

// Unwrap gives http.ResponseController the writer underneath.
func (c *compressWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// close ends the body once the handler has returned: a short body still
// held back goes out plain, an encoded one is finished and its encoder
// pooled.
func (c *compressWriter) close() {
	if !c.decided {
		if c.Header().Get("Content-Length") == "" && len(c.buf) > 0 {
			c.Header().Set("Content-Length", strconv.Itoa(len(c.buf)))
		}
		c.plain()
		return
	}
	if c.enc == nil {
		return
	}
	_ = c.enc.Close()
	c.enc.Reset(io.Discard)
	switch e := c.enc.(type) {
	case *gzip.Writer:
		gzipWriters.Put(e)
	case *brotli.Writer:
		brotliWriters.Put(e)
	}
	c.enc = nil
}
