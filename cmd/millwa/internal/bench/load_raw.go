package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/millwa/millwa/internal/store"
)

// The raw baselines talk to the database as internal/store does, with the
// same drivers, pool sizes and connection settings, so that the difference
// to the service is the service's own work. These mirror the unexported
// settings of internal/store/store.go: keep them in step.
const (
	rawSQLiteBusyTimeout = 10 * time.Second
	rawSQLiteReaders     = 4
	rawPostgresMaxOpen   = 20
	rawPostgresMaxIdle   = 10
	rawPostgresIdleTime  = 5 * time.Minute
	rawPostgresLifetime  = 30 * time.Minute
	rawPostgresDialLimit = 10 * time.Second
)

// rawLotColumns are the columns of a lots row in internal/store's order.
var rawLotColumns = []string{
	"id", "association_id", "standard", "campaign", "breed", "colour", "declared_quality_group",
	"market_quality_group", "measured_quality_group", "discrepancy", "classifier_id", "collection_point", "ubigeo",
	"net_weight_grams", "allocated_grams", "state", "ask_price_minor_per_kg", "currency", "mean_fibre_diameter_um",
	"fibre_diameter_sd_um", "fibres_measured", "diameter_histogram", "staple_length_mm", "grading_detail",
	"lot_number", "classification_date", "revision", "create_time", "update_time",
}

// Positions in rawLotColumns of the values a new row replaces or that name
// other rows.
const (
	rawColID          = 0
	rawColAssociation = 1
	rawColClassifier  = 10
	rawColCreateTime  = 27
	rawColUpdateTime  = 28
)

var rawContributionColumns = []string{"lot_id", "association_id", "member_id", "grams"}

// rawTimeLayout is how internal/store writes a time as text (to SQLite's
// TEXT columns and PostgreSQL's TIMESTAMPTZ alike).
const rawTimeLayout = "2006-01-02T15:04:05.000000Z"

// rawDB is a database/sql connection to the bench's database beside the
// server's own.
type rawDB struct {
	dialect string
	// w writes: on SQLite one connection beginning transactions with BEGIN
	// IMMEDIATE, as the store's writer. r reads: on SQLite query-only
	// connections; on PostgreSQL the same pool as w.
	w, r *sql.DB

	selectLot, insertLot, insertContribution string

	// template is a lots row the service wrote, and its contributions: the
	// raw inserts copy it under a new id and time.
	template      []any
	contributions []rawContribution
	bulkQueries   map[int][2]string
}

// rawContribution is one member's grams in a lot.
type rawContribution struct {
	member string
	grams  int64
}

// openRawDB opens the database at url as internal/store.Open does.
func openRawDB(ctx context.Context, url string) (*rawDB, error) {
	db := &rawDB{bulkQueries: map[int][2]string{}}
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		db.dialect = store.DialectSQLite
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)", rawSQLiteBusyTimeout.Milliseconds())
		w, err := sql.Open("sqlite", path+"?"+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		r, err := sql.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, err
		}
		r.SetMaxOpenConns(rawSQLiteReaders)
		r.SetMaxIdleConns(rawSQLiteReaders)
		db.w, db.r = w, r
	default:
		db.dialect = store.DialectPostgres
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.RuntimeParams["synchronous_commit"] = "on"
		if cfg.RuntimeParams["application_name"] == "" {
			cfg.RuntimeParams["application_name"] = "millwa-bench"
		}
		if cfg.ConnectTimeout == 0 {
			cfg.ConnectTimeout = rawPostgresDialLimit
		}
		p := stdlib.OpenDB(*cfg)
		p.SetMaxOpenConns(rawPostgresMaxOpen)
		p.SetMaxIdleConns(rawPostgresMaxIdle)
		p.SetConnMaxIdleTime(rawPostgresIdleTime)
		p.SetConnMaxLifetime(rawPostgresLifetime)
		db.w, db.r = p, p
	}
	for _, p := range []*sql.DB{db.w, db.r} {
		if err := p.PingContext(ctx); err != nil {
			db.close()
			return nil, err
		}
	}
	cols := strings.Join(rawLotColumns, ", ")
	db.selectLot = db.rebind(`SELECT ` + cols + ` FROM lots WHERE id = ?`)
	db.insertLot = db.rebind(`INSERT INTO lots (` + cols + `) VALUES (` + placeholders(len(rawLotColumns)) + `)`)
	db.insertContribution = db.rebind(`INSERT INTO lot_contributions (` + strings.Join(rawContributionColumns, ", ") + `) VALUES (?, ?, ?, ?)`)
	return db, nil
}

func (db *rawDB) close() error {
	var errs []error
	if db.r != nil && db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

// version is the database's version: sqlite_version() or PostgreSQL's
// server_version.
func (db *rawDB) version(ctx context.Context) (string, error) {
	q := `SELECT sqlite_version()`
	if db.dialect == store.DialectPostgres {
		q = `SHOW server_version`
	}
	var v string
	err := db.r.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

// rebind turns ? placeholders into PostgreSQL's $n. The queries here have
// no ? in literals.
func (db *rawDB) rebind(q string) string {
	if db.dialect != store.DialectPostgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// placeholders is "?, ?, …", n of them.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// loadTemplate reads the row and contributions of a lot the service wrote.
func (db *rawDB) loadTemplate(ctx context.Context, id string) error {
	vals, err := db.readLot(ctx, id)
	if err != nil {
		return fmt.Errorf("reading lot %s: %w", id, err)
	}
	db.template = vals
	rows, err := db.r.QueryContext(ctx, db.rebind(`SELECT member_id, grams FROM lot_contributions WHERE lot_id = ? ORDER BY member_id`), id)
	if err != nil {
		return fmt.Errorf("reading lot %s's contributions: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c rawContribution
		if err := rows.Scan(&c.member, &c.grams); err != nil {
			return err
		}
		db.contributions = append(db.contributions, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(db.contributions) == 0 {
		return fmt.Errorf("lot %s has no contributions", id)
	}
	return nil
}

// readLot is the raw point read: every column of a lots row by id, as the
// driver gives them.
func (db *rawDB) readLot(ctx context.Context, id string) ([]any, error) {
	vals := make([]any, len(rawLotColumns))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := db.r.QueryRowContext(ctx, db.selectLot, id).Scan(dest...); err != nil {
		return nil, err
	}
	return vals, nil
}

// newRow is the template row under a new id and the current time, and the
// id.
func (db *rawDB) newRow(now string) ([]any, string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, "", err
	}
	row := append([]any(nil), db.template...)
	row[rawColID] = id.String()
	row[rawColCreateTime], row[rawColUpdateTime] = now, now
	return row, id.String(), nil
}

// rawNow is the current time as internal/store writes it.
func rawNow() string {
	return time.Now().UTC().Truncate(time.Microsecond).Format(rawTimeLayout)
}

// insertOne writes one lot and its contributions in one transaction, as
// internal/store's CreateLot does, without the request id's record, the
// checks and the audit event around it.
func (db *rawDB) insertOne(ctx context.Context) error {
	row, id, err := db.newRow(rawNow())
	if err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, db.insertLot, row...); err != nil {
		return err
	}
	for _, c := range db.contributions {
		if _, err := tx.ExecContext(ctx, db.insertContribution, id, row[rawColAssociation], c.member, c.grams); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// insertBulk writes n lots and their contributions in one transaction
// through the driver's bulk path: COPY on PostgreSQL, one multi-row INSERT
// a table on SQLite.
func (db *rawDB) insertBulk(ctx context.Context, n int) error {
	if db.dialect == store.DialectPostgres {
		return db.copyBulk(ctx, n)
	}
	q, ok := db.bulkQueries[n]
	if !ok {
		return fmt.Errorf("no bulk insert of %d lots prepared", n)
	}
	now := rawNow()
	lotArgs := make([]any, 0, n*len(rawLotColumns))
	contribArgs := make([]any, 0, n*len(db.contributions)*len(rawContributionColumns))
	for range n {
		row, id, err := db.newRow(now)
		if err != nil {
			return err
		}
		lotArgs = append(lotArgs, row...)
		for _, c := range db.contributions {
			contribArgs = append(contribArgs, id, row[rawColAssociation], c.member, c.grams)
		}
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, q[0], lotArgs...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q[1], contribArgs...); err != nil {
		return err
	}
	return tx.Commit()
}

// prepareBulk builds the SQLite multi-row INSERTs of n lots. SQLite takes
// up to 32766 parameters a statement, more than the largest batch needs.
func (db *rawDB) prepareBulk(n int) {
	if db.dialect == store.DialectPostgres {
		return
	}
	row := "(" + placeholders(len(rawLotColumns)) + ")"
	crow := "(" + placeholders(len(rawContributionColumns)) + ")"
	lots := `INSERT INTO lots (` + strings.Join(rawLotColumns, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	k := n * len(db.contributions)
	contribs := `INSERT INTO lot_contributions (` + strings.Join(rawContributionColumns, ", ") + `) VALUES ` + strings.TrimSuffix(strings.Repeat(crow+", ", k), ", ")
	db.bulkQueries[n] = [2]string{lots, contribs}
}

// copyBulk writes n lots and their contributions with COPY through the
// pgx connection under a database/sql one, in one transaction. COPY's
// binary format wants typed values: UUIDs as pgtype.UUID and times as
// time.Time.
func (db *rawDB) copyBulk(ctx context.Context, n int) error {
	toUUID := func(v any) (pgtype.UUID, error) {
		s, ok := v.(string)
		if !ok {
			return pgtype.UUID{}, fmt.Errorf("a UUID column read as %T", v)
		}
		u, err := uuid.Parse(s)
		return pgtype.UUID{Bytes: u, Valid: true}, err
	}
	assoc, err := toUUID(db.template[rawColAssociation])
	if err != nil {
		return err
	}
	classifier, err := toUUID(db.template[rawColClassifier])
	if err != nil {
		return err
	}
	members := make([]pgtype.UUID, len(db.contributions))
	for i, c := range db.contributions {
		if members[i], err = toUUID(c.member); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	lots := make([][]any, n)
	contribs := make([][]any, 0, n*len(db.contributions))
	for i := range lots {
		u, err := uuid.NewV7()
		if err != nil {
			return err
		}
		id := pgtype.UUID{Bytes: u, Valid: true}
		row := append([]any(nil), db.template...)
		row[rawColID], row[rawColAssociation], row[rawColClassifier] = id, assoc, classifier
		row[rawColCreateTime], row[rawColUpdateTime] = now, now
		lots[i] = row
		for j, c := range db.contributions {
			contribs = append(contribs, []any{id, assoc, members[j], c.grams})
		}
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // after Commit it does nothing
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"lots"}, rawLotColumns, pgx.CopyFromRows(lots)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"lot_contributions"}, rawContributionColumns, pgx.CopyFromRows(contribs)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}
