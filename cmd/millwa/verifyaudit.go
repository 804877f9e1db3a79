package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// newVerifyAuditCommand is "millwa admin verify-audit": VerifyAuditLog run
// offline against a database (a restored dump, say), with the checkpoints
// an agency saved.
func newVerifyAuditCommand(stdout io.Writer, cfg *config.Config, envErr *error) *cobra.Command {
	var file, publicKey string
	cmd := &cobra.Command{
		Use:   "verify-audit",
		Short: "Verify the audit chain of a database, against saved checkpoints",
		Long: `Recompute the audit chain of the database (--database-url), as VerifyAuditLog
does, and check that it still leads to every checkpoint in --checkpoints: a
file of the JSON answers of GET /v1/audit/checkpoint (or the server's
"audit checkpoint" log lines), one after another or in a JSON array. Each
checkpoint's signature must verify, under --public-key when given, else
under the one key every checkpoint carries. The database is read, never
migrated or written. Exits non-zero when the chain is broken or a
checkpoint disagrees.`,
		Example: `  millwa admin verify-audit --database-url 'postgres://…/restored' --checkpoints checkpoints.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if *envErr != nil {
				return *envErr
			}
			var cps []millwa.AuditCheckpoint
			if file != "" {
				var err error
				if cps, err = readCheckpoints(file, publicKey); err != nil {
					return err
				}
			}
			// Open, not instance.OpenStore: migrating would write to the
			// copy under examination.
			st, err := store.Open(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return fmt.Errorf("opening database %s: %w", config.Redact(cfg.DatabaseURL), err)
			}
			defer st.Close()
			v, err := st.VerifyAuditRange(cmd.Context(), 0, 0, cps...)
			if err != nil {
				return err
			}
			if len(cps) > 0 {
				fmt.Fprintf(stdout, "%d checkpoints from %s, signed by key %x\n", len(cps), file, []byte(cps[0].PublicKey))
			}
			if !v.OK {
				fmt.Fprintf(stdout, "audit log BROKEN at event %d (%s): %s\n%d events verified intact, up to event %d\n",
					v.FirstBroken, v.Failure, v.Problem, v.EventsChecked, v.HeadSequence)
				return fmt.Errorf("the audit log of %s is broken at event %d", config.Redact(cfg.DatabaseURL), v.FirstBroken)
			}
			fmt.Fprintf(stdout, "audit log intact: %d events, head at event %d, hash %x", v.EventsChecked, v.HeadSequence, v.HeadHash)
			if len(cps) > 0 {
				fmt.Fprintf(stdout, "; it leads to every checkpoint")
			} else {
				fmt.Fprintf(stdout, "; without checkpoints a consistent rewrite cannot be told apart: give --checkpoints")
			}
			fmt.Fprintln(stdout)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "checkpoints", "", "file of saved checkpoints (JSON, as GET /v1/audit/checkpoint answers)")
	cmd.Flags().StringVar(&publicKey, "public-key", "", "the server's checkpoint public key in hex, when known; default: the key the checkpoints carry")
	return cmd
}

// checkpointJSON is a checkpoint as the REST API returns it (proto JSON:
// the sequence a string) or as the server logs it (the sequence a number).
type checkpointJSON struct {
	Sequence  json.RawMessage `json:"sequence"`
	HeadHash  string          `json:"headHash"`
	HeadHash2 string          `json:"head_hash"`
	SignTime  string          `json:"signTime"`
	SignTime2 string          `json:"sign_time"`
	PublicKey string          `json:"publicKey"`
	PubKey2   string          `json:"public_key"`
	Signature string          `json:"signature"`
}

// parse turns c into a checkpoint, or says what is wrong with it.
func (c *checkpointJSON) parse() (millwa.AuditCheckpoint, error) {
	var cp millwa.AuditCheckpoint
	seq := strings.Trim(string(c.Sequence), `"`)
	if seq == "" {
		seq = "0" // proto JSON leaves out a zero
	}
	n, err := strconv.ParseInt(seq, 10, 64)
	if err != nil {
		return cp, fmt.Errorf("sequence %s is not a whole number", c.Sequence)
	}
	cp.Sequence = n
	// The REST answer names fields in lowerCamelCase, the log in
	// snake_case.
	field := func(camel, snake string) string {
		if camel != "" {
			return camel
		}
		return snake
	}
	head, err := hex.DecodeString(field(c.HeadHash, c.HeadHash2))
	if err != nil || len(head) != 32 {
		return cp, errors.New("headHash is not 64 hex characters")
	}
	copy(cp.HeadHash[:], head)
	if cp.Time, err = time.Parse(time.RFC3339Nano, field(c.SignTime, c.SignTime2)); err != nil {
		return cp, fmt.Errorf("signTime: %w", err)
	}
	if cp.PublicKey, err = hex.DecodeString(field(c.PublicKey, c.PubKey2)); err != nil {
		return cp, errors.New("publicKey is not hex")
	}
	if cp.Signature, err = hex.DecodeString(c.Signature); err != nil {
		return cp, errors.New("signature is not hex")
	}
	return cp, nil
}

// readCheckpoints reads and verifies the checkpoints of file: JSON objects
// one after another, or arrays of them. Each must verify under
// publicKeyHex when given, else under the key the first carries.
func readCheckpoints(file, publicKeyHex string) ([]millwa.AuditCheckpoint, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoints: %w", err)
	}
	var trusted ed25519.PublicKey
	if publicKeyHex != "" {
		if trusted, err = hex.DecodeString(publicKeyHex); err != nil || len(trusted) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("--public-key: want %d hex characters", 2*ed25519.PublicKeySize)
		}
	}
	var cps []millwa.AuditCheckpoint
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: not JSON after %d checkpoints: %w", file, len(cps), err)
		}
		items := []json.RawMessage{v}
		if bytes.HasPrefix(bytes.TrimSpace(v), []byte("[")) {
			if err := json.Unmarshal(v, &items); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
		}
		for _, item := range items {
			var c checkpointJSON
			if err := json.Unmarshal(item, &c); err != nil {
				return nil, fmt.Errorf("%s: checkpoint %d: %w", file, len(cps)+1, err)
			}
			cp, err := c.parse()
			if err == nil {
				if trusted == nil {
					trusted = cp.PublicKey
				}
				err = cp.Verify(trusted)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: checkpoint %d (sequence %d): %w", file, len(cps)+1, cp.Sequence, err)
			}
			cps = append(cps, cp)
		}
	}
	if len(cps) == 0 {
		return nil, fmt.Errorf("%s holds no checkpoint: save the answers of GET /v1/audit/checkpoint there", file)
	}
	return cps, nil
}
