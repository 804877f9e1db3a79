package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/millwa/millwa/internal/millwa"
)

func TestForbidden(t *testing.T) {
	for _, tt := range []struct {
		addr      string
		forbidden bool
	}{
		{"127.0.0.1", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"172.16.0.9", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true},
		{"fe80::1", true},
		{"fc00::1", true},
		{"224.0.0.1", true},
		{"ff02::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"100.64.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"200.48.225.130", false},
		{"8.8.8.8", false},
		{"2001:4860:4860::8888", false},
	} {
		if got := Forbidden(netip.MustParseAddr(tt.addr)); got != tt.forbidden {
			t.Errorf("Forbidden(%s) = %v, want %v", tt.addr, got, tt.forbidden)
		}
	}
}

// TestDialControlRefusesLoopback checks the dialer's guard: without the
// allowance a connection to a listening loopback port is refused before
// it is made; with it, the connection succeeds.
func TestDialControlRefusesLoopback(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, err = dialer(0, false).DialContext(t.Context(), "tcp", lis.Addr().String())
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("dialing %s without the allowance: %v, want ErrForbiddenAddress", lis.Addr(), err)
	}
	c, err := dialer(0, true).DialContext(t.Context(), "tcp", lis.Addr().String())
	if err != nil {
		t.Fatalf("dialing %s with the allowance: %v", lis.Addr(), err)
	}
	c.Close()
	if err := DialControl(false)("tcp4", "200.48.225.130:443", nil); err != nil {
		t.Errorf("DialControl refused a public address: %v", err)
	}
}

// fakeResolver answers fixed addresses for every host.
type fakeResolver []netip.Addr

func (r fakeResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	if len(r) == 0 {
		return nil, errors.New("no such host")
	}
	return r, nil
}

func TestCheckHost(t *testing.T) {
	public := fakeResolver{netip.MustParseAddr("200.48.225.130")}
	rebound := fakeResolver{netip.MustParseAddr("200.48.225.130"), netip.MustParseAddr("10.0.0.5")}
	for _, tt := range []struct {
		host         string
		r            fakeResolver
		allowPrivate bool
		ok           bool
	}{
		{"erp.example.pe", public, false, true},
		{"erp.example.pe", rebound, false, false},
		{"erp.example.pe", nil, false, false},
		{"erp.example.pe", rebound, true, true},
		{"127.0.0.1", public, false, false},
		{"169.254.169.254", public, false, false},
		{"127.0.0.1", nil, true, true},
		{"200.48.225.130", nil, false, true},
	} {
		var vs millwa.Violations
		CheckHost(t.Context(), &vs, "url", tt.host, tt.r, tt.allowPrivate)
		if got := len(vs) == 0; got != tt.ok {
			t.Errorf("CheckHost(%q, %v, allowPrivate %v): %v, want ok %v", tt.host, tt.r, tt.allowPrivate, vs, tt.ok)
		}
	}
}
