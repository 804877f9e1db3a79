package bench

import (
	"bytes"
	"context"

	"github.com/spf13/cobra"
)

// execute runs "millwa bench args…" in-process under a root command set
// up as millwa's is, and returns what it printed on stdout and stderr.
func execute(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	root := &cobra.Command{Use: "millwa", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.AddCommand(NewCommand(&out))
	root.SetArgs(append([]string{"bench"}, args...))
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}
