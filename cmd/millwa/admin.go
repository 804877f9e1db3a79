package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/millwa/millwa/cmd/millwa/internal/instance"
	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/millwa"
)

// newAdminCommand is "millwa admin": operator tasks run against the
// database directly, for when no admin key is at hand.
func newAdminCommand(stdout io.Writer, cfg *config.Config, envErr *error) *cobra.Command {
	admin := &cobra.Command{
		Use:   "admin",
		Short: "Operator tasks run directly against the database",
	}
	var role, org, name string
	var orgAdmin bool
	var expires time.Duration
	create := &cobra.Command{
		Use:   "create-key",
		Short: "Create an API key and print its secret once",
		Example: `  millwa admin create-key --role admin
  millwa admin create-key --role association --org associations/0192… --org-admin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if *envErr != nil {
				return *envErr
			}
			k := millwa.APIKey{DisplayName: name, Role: millwa.Role(strings.ToLower(role)), Organisation: org, OrgAdmin: orgAdmin}
			if k.DisplayName == "" {
				k.DisplayName = fmt.Sprintf("%s key created by millwa admin", k.Role)
			}
			if expires > 0 {
				k.ExpireTime = time.Now().Add(expires).UTC().Truncate(time.Microsecond)
			}
			if k.Role == millwa.RoleAdmin && k.OrgAdmin {
				return fmt.Errorf("--org-admin is for organisation keys: an admin key administers every key already")
			}
			st, err := instance.OpenStore(cmd.Context(), *cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			secret, err := auth.CreateKey(cmd.Context(), st, &k)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Created apiKeys/%s (%s%s). Its secret, shown only this once:\n\n    %s\n\n", k.ID, k.Role, orgSuffix(k.Organisation), secret)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", "", "admin, association, processor or agency (required)")
	create.Flags().StringVar(&org, "org", "", "the organisation's resource name, for example associations/{id} (required but for admin)")
	create.Flags().BoolVar(&orgAdmin, "org-admin", false, "let the key create and revoke its organisation's keys")
	create.Flags().StringVar(&name, "name", "", "a display name for the key")
	create.Flags().DurationVar(&expires, "expires", 0, "let the key expire after this long, for example 720h (default: never)")
	_ = create.MarkFlagRequired("role")
	admin.AddCommand(create)
	admin.AddCommand(newVerifyAuditCommand(stdout, cfg, envErr))
	return admin
}

func orgSuffix(org string) string {
	if org == "" {
		return ""
	}
	return " for " + org
}
