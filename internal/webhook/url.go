package webhook

import (
	"net"
	"net/url"
	"strings"
)

// maxURLLen bounds an endpoint URL.
const maxURLLen = 2000

// CheckURL returns what is wrong with an endpoint URL, "" when nothing is:
// it must be absolute https (http only to a loopback address, for
// development and tests), with a host, without user information or a
// fragment, and at most 2000 characters.
func CheckURL(raw string) string {
	switch {
	case raw == "":
		return "is required"
	case len(raw) > maxURLLen:
		return "must be at most 2000 characters"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "must be an absolute URL such as https://erp.example.pe/millwa/events"
	}
	if u.User != nil {
		return "must not carry credentials: the signature authenticates the server to the endpoint"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not have a fragment"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if loopback(u.Hostname()) {
			return ""
		}
		return "must use https (http is accepted only to a loopback address)"
	}
	return "must use https"
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
