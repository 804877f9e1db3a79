// Package bench is "millwa bench": measurements of the clearing engine and
// of the running service on the machine it runs on. It lives apart from
// the server's main package so that the server's entry point stays about
// serving, and so that its baselines (raw SQL beside the service) are
// kept in one place.
package bench

import (
	"io"

	"github.com/spf13/cobra"
)

// NewCommand is "millwa bench": measurements of the engines on the
// machine it runs on. It only groups its subcommands; reports go to
// stdout and progress to the command's stderr.
func NewCommand(stdout io.Writer) *cobra.Command {
	bench := &cobra.Command{
		Use:   "bench",
		Short: "Measure the engines on this machine",
	}
	bench.AddCommand(newBenchClearingCommand(stdout))
	bench.AddCommand(newBenchLoadCommand(stdout))
	bench.AddCommand(newBenchWatchCommand(stdout))
	return bench
}
