package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/millwa/millwa/internal/millwa"
)

// ErrForbiddenAddress is why a connection to an address no webhook may
// reach was refused.
var ErrForbiddenAddress = errors.New("the address is private, loopback, link-local, multicast or unspecified; the operator allows such endpoints with MILLWA_WEBHOOK_ALLOW_PRIVATE=true")

// Ranges refused besides those net/netip classify: RFC 6598's shared
// address space (carrier-grade NAT), RFC 1122's "this network" and the
// limited broadcast address.
var refused = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// Forbidden reports whether a is an address webhooks are not posted to
// unless the operator allows private endpoints: private, loopback,
// link-local, multicast or unspecified (an IPv4 address mapped into IPv6
// is judged as the IPv4 one).
func Forbidden(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range refused {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// DialControl is a net.Dialer's Control function that refuses to connect
// to a forbidden address unless allowPrivate is set. It judges the address
// being connected to, after resolution, so that a name resolving to a
// public address when checked and a private one when used (DNS rebinding)
// cannot reach a private address.
func DialControl(allowPrivate bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("connecting to %s over %s: %w", address, network, ErrForbiddenAddress)
		}
		if Forbidden(ap.Addr()) {
			return fmt.Errorf("connecting to %s: %w", ap.Addr(), ErrForbiddenAddress)
		}
		return nil
	}
}

// Resolver looks up the addresses of a host; net.DefaultResolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckHost records in vs, under field, that host may not receive
// webhooks: unless allowPrivate is set, it must resolve, and only to
// addresses that are not Forbidden.
func CheckHost(ctx context.Context, vs *millwa.Violations, field, host string, r Resolver, allowPrivate bool) {
	if allowPrivate || host == "" {
		return
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if Forbidden(a) {
			vs.Add(field, "names the address %s, which is private, loopback, link-local, multicast or unspecified: use a public endpoint (an operator may allow these with MILLWA_WEBHOOK_ALLOW_PRIVATE=true)", a)
		}
		return
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		vs.Add(field, "names the host %q, which does not resolve: use a host with public DNS records", host)
		return
	}
	for _, a := range addrs {
		if Forbidden(a) {
			vs.Add(field, "names the host %q, which resolves to %s, a private, loopback, link-local, multicast or unspecified address: use a public endpoint (an operator may allow these with MILLWA_WEBHOOK_ALLOW_PRIVATE=true)", host, a.Unmap())
			return
		}
	}
}

// dialer is the worker's: every connection it opens is judged by
// DialControl.
func dialer(timeout time.Duration, allowPrivate bool) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: DialControl(allowPrivate)}
}
