// Package cli runs the command tree of a Millwa binary the same way in
// both of them: under a context that an interrupt or SIGTERM cancels, so
// that a server shuts down gracefully and a client stops between calls,
// with a failure printed once on stderr and exit status 1. It imports
// only cobra, so that the client links nothing of the server.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Main executes root and exits with status 1 when it fails, after printing
// "name: error" on stderr.
func Main(name string, root *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
