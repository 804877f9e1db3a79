// Command millwactl is the command-line client of Millwa for people: it
// talks to a Millwa server over gRPC with an API key.
//
//	millwactl lots import FILE.csv --association associations/{id}
//
// Global flags: --server (gRPC address, default localhost:9090, or
// MILLWACTL_SERVER), --key (API key, or MILLWACTL_KEY, which is better: a
// flag shows in process listings; the key is never printed), --plaintext
// (default true for loopback addresses, otherwise TLS with the system's
// roots), --timeout (deadline of each call), --lang (es, the default, or
// en; or MILLWA_LANG): the language of its messages, of its help and of the
// server's errors, since it sends accept-language. The CSV format of the
// import is described at the top of csv.go and in "millwactl lots import
// --help".
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/millwa/millwa/cmd/internal/cli"
	"github.com/millwa/millwa/internal/credential"
)

// Environment variables read by millwactl.
const (
	envServer = "MILLWACTL_SERVER"
	envKey    = "MILLWACTL_KEY"
)

// defaultServer is the gRPC address used when neither --server nor
// MILLWACTL_SERVER is set.
const defaultServer = "localhost:9090"

func main() {
	cli.Main("millwactl", newRootCommand(os.Stdout, os.Stderr, os.LookupEnv))
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	server       string
	key          string
	plaintext    bool
	plaintextSet bool
	timeout      time.Duration
	langFlag     string
	lang         language
}

// resolveLang sets g.lang from --lang, else from MILLWA_LANG, else Spanish.
func (g *globalOptions) resolveLang(fs interface{ Changed(string) bool }, lookup func(string) (string, bool)) error {
	v := g.langFlag
	if !fs.Changed("lang") {
		v = "es"
		if env, ok := lookup(envLang); ok && strings.TrimSpace(env) != "" {
			v = env
		}
	}
	l, err := parseLanguage(v)
	g.lang = l
	return err
}

// newRootCommand builds the command tree. Settings come from flags, then
// from lookup (the environment).
func newRootCommand(stdout, stderr io.Writer, lookup func(string) (string, bool)) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "millwactl",
		Short:         "Millwa's command-line client: import lots of alpaca fibre and list those graded differently",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			if err := g.resolveLang(fs, lookup); err != nil {
				return err
			}
			if !fs.Changed("server") {
				if v, ok := lookup(envServer); ok && v != "" {
					g.server = v
				}
			}
			if !fs.Changed("key") {
				if v, ok := lookup(envKey); ok {
					g.key = strings.TrimSpace(v)
				}
			}
			g.plaintextSet = fs.Changed("plaintext")
			if g.timeout <= 0 {
				return g.lang.errorf("--timeout %v: must be positive", g.timeout)
			}
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.server, "server", defaultServer, "gRPC address of the Millwa server, host:port [$"+envServer+"]")
	// The key's default stays empty so that --help never shows it.
	pf.StringVar(&g.key, "key", "", "API key; prefer $"+envKey+", since flags show in process listings [$"+envKey+"]")
	pf.BoolVar(&g.plaintext, "plaintext", false, "connect without TLS (default true for localhost and loopback addresses, otherwise TLS with the system's roots)")
	pf.DurationVar(&g.timeout, "timeout", time.Minute, "deadline of each call to the server")
	pf.StringVar(&g.langFlag, "lang", "es", "language of messages and help, and of the server's errors: es (español) or en (English) [$"+envLang+"]")

	root.AddCommand(newLotsCommand(g))
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if err := g.resolveLang(cmd.Flags(), lookup); err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), err)
		}
		localizeHelp(cmd.Root(), g.lang)
		defaultHelp(cmd, args)
	})
	return root
}

// usePlaintext says whether to connect without TLS: as --plaintext says
// when given, else for loopback addresses only.
func (g *globalOptions) usePlaintext() bool {
	if g.plaintextSet {
		return g.plaintext
	}
	return isLoopback(g.server)
}

// isLoopback reports whether addr (host:port, or a gRPC target such as
// dns:///host:port) names this machine.
func isLoopback(addr string) bool {
	if i := strings.LastIndex(addr, "///"); i >= 0 {
		addr = addr[i+3:]
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dial makes a client connection to the server. Calls carry the API key;
// gRPC refuses to send it over plaintext unless the server is loopback or
// --plaintext was given, and then warns on stderr for a remote server.
func (g *globalOptions) dial(stderr io.Writer) (*grpc.ClientConn, error) {
	if g.server == "" {
		return nil, g.lang.errorf("no server: set --server or %s", envServer)
	}
	plain := g.usePlaintext()
	var creds credentials.TransportCredentials
	if plain {
		creds = insecure.NewCredentials()
		if !isLoopback(g.server) && g.key != "" {
			fmt.Fprintln(stderr, g.lang.sprintf("warning: sending the API key to %s without TLS (--plaintext)", g.server))
		}
	} else {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
		grpc.WithUserAgent("millwactl"),
	}
	opts = append(opts, dialLanguage(g.lang)...)
	if g.key != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(credential.Bearer{Secret: g.key, Insecure: plain}))
	}
	conn, err := grpc.NewClient(g.server, opts...)
	if err != nil {
		return nil, g.lang.errorf("connecting to %s: %w", g.server, err)
	}
	return conn, nil
}
