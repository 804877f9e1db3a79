// Package console serves Millwa's web console: the single-page application
// built from the TypeScript under this directory into dist/, which is
// committed like generated code and embedded in the binary, so that
// `go run ./cmd/millwa` serves it with nothing else installed.
//
// `npm ci && npm run build` in this directory rebuilds dist/; CI rebuilds it
// and fails when the result differs from what is committed.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Files is the built console: index.html, sw.js, manifest.webmanifest,
// icon.svg and assets/.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; it is always there
	}
	return sub
}

// ContentSecurityPolicy keeps every page of the console to its own origin:
// no script, style, font, image or connection goes to any other host.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; " +
	"manifest-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// Handler serves the console. A request for a file of dist/ gets that file;
// any other GET of a path without an extension gets index.html, so that the
// application's own paths (/observatorio, /acopio/recepciones, …) load it
// and its router takes over. Hashed assets are cached for a year; the page,
// the service worker and the manifest are revalidated on every load, so a
// new release reaches a phone on its next connection.
func Handler() http.Handler {
	files := Files()
	server := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					h.Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					h.Set("Cache-Control", "no-cache")
				}
				if name == "manifest.webmanifest" {
					h.Set("Content-Type", "application/manifest+json")
				}
				server.ServeHTTP(w, r)
				return
			}
		}
		page, err := fs.ReadFile(files, "index.html")
		if err != nil {
			http.Error(w, "console not built", http.StatusNotFound)
			return
		}
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(page)
	})
}

// Serves reports whether the console answers r: a GET or HEAD outside the
// API (/v1/), the OpenAPI documents, health and metrics, for a file of the
// console or for a path without an extension (one of the application's own
// pages). Everything else goes to the REST routes, which answer their own
// 404s in JSON.
func Serves(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	if strings.HasPrefix(p, "/v1/") || p == "/v1" || strings.HasPrefix(p, "/openapi") || p == "/healthz" || p == "/metrics" {
		return false
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		return true
	}
	if st, err := fs.Stat(Files(), name); err == nil && !st.IsDir() {
		return true
	}
	return path.Ext(name) == ""
}
