// Command millwa is the Millwa server: the gRPC services, the REST gateway
// and their database.
//
//	millwa [serve]   serve gRPC and REST (the default)
//	millwa migrate   apply database migrations and exit
//	millwa version   print the version
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/millwa/millwa/cmd/internal/cli"
	"github.com/millwa/millwa/cmd/millwa/internal/bench"
	"github.com/millwa/millwa/cmd/millwa/internal/demo"
	"github.com/millwa/millwa/cmd/millwa/internal/instance"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/server"
)

func main() {
	cli.Main("millwa", newRootCommand(os.Stdout, os.Stderr, os.LookupEnv))
}

// newRootCommand builds the command tree. Output goes to stdout and logs to
// stderr; settings come from lookup (the environment) and flags.
func newRootCommand(stdout, stderr io.Writer, lookup func(string) (string, bool)) *cobra.Command {
	cfg := config.Default()
	gofs := flag.NewFlagSet("millwa", flag.ContinueOnError)
	envErr := cfg.Bind(gofs, lookup)

	serve := func(cmd *cobra.Command, _ []string) error {
		if envErr != nil {
			return envErr
		}
		log, err := newLogger(stderr, cfg.LogLevel)
		if err != nil {
			return err
		}
		log.Info("starting millwa", append([]any{"version", versionString()}, cfg.Redacted()...)...)
		srv, err := server.New(cmd.Context(), cfg, log)
		if err != nil {
			return err
		}
		return srv.Run(cmd.Context())
	}

	root := &cobra.Command{
		Use:           "millwa",
		Short:         "Millwa: graded alpaca fibre, from producer associations to processors",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          serve,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().AddGoFlagSet(gofs)

	root.AddCommand(&cobra.Command{
		Use:   "serve",
		Short: "Serve the gRPC API and the REST gateway (the default command)",
		Args:  cobra.NoArgs,
		RunE:  serve,
	})
	root.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if envErr != nil {
				return envErr
			}
			st, err := instance.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintf(stdout, "database %s is up to date\n", config.Redact(cfg.DatabaseURL))
			return nil
		},
	})
	root.AddCommand(newAdminCommand(stdout, &cfg, &envErr))
	root.AddCommand(demo.NewCommand(stdout, &cfg, &envErr))
	root.AddCommand(bench.NewCommand(stdout))
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(stdout, "millwa %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	})
	return root
}

// versionString is the binary's version: the one set at build time, or
// the module version or VCS revision recorded in the binary (the OpenAPI
// document's info.version is the same).
func versionString() string { return server.Version() }

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl})), nil
}
