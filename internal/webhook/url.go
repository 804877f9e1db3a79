package webhook

import (
	"net"
	"net/url"
	"strings"

	"github.com/millwa/millwa/internal/millwa"
)

// maxURLLen bounds an endpoint URL.
const maxURLLen = 2000

// CheckURL records in vs, under field, what is wrong with an endpoint
// URL: it must be absolute https (http only to a loopback address, and
// only when allowPrivate is set, for development and tests), with a host,
// without user information or a fragment, and at most 2000 characters.
// CheckHost judges the addresses its host resolves to.
func CheckURL(vs *millwa.Violations, field, raw string, allowPrivate bool) {
	switch {
	case raw == "":
		vs.Add(field, "is required: the https URL where events are posted")
		return
	case len(raw) > maxURLLen:
		vs.Add(field, "must be at most %d characters, got %d", maxURLLen, len(raw))
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		vs.Add(field, "must be an absolute URL such as https://erp.example.pe/millwa/events")
	case u.User != nil:
		vs.Add(field, "must not carry credentials: remove them; the signature authenticates Millwa to the endpoint")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		vs.Add(field, "must not have a fragment: remove the part from #")
	case u.Scheme == "http" && !(allowPrivate && loopback(u.Hostname())):
		vs.Add(field, "must use https (http is accepted only to a loopback address, when the operator allows private endpoints)")
	case u.Scheme != "https" && u.Scheme != "http":
		vs.Add(field, "must use https, got the scheme %q", u.Scheme)
	}
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
