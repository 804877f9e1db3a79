package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/millwa/millwa/cmd/millwa/internal/instance"
	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/config"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/registry"
)

// loadDatabase is the database made for a run.
type loadDatabase struct {
	// url is what the server and the raw baselines open.
	url  string
	info loadDatabaseInfo
	// drop removes the database, when the run made one to remove.
	drop func() error
}

// prepareLoadDatabase makes the run's database from --database-url: a new
// SQLite file in a temporary folder by default, a new file at sqlite:PATH,
// or a new database on the PostgreSQL server of a postgres:// URL. The
// bench never writes into a database that existed before it.
func prepareLoadDatabase(ctx context.Context, raw string) (*loadDatabase, error) {
	switch {
	case raw == "":
		dir, err := os.MkdirTemp("", "millwa-bench-")
		if err != nil {
			return nil, fmt.Errorf("making a folder for the database: %w", err)
		}
		path := filepath.Join(dir, "bench.db")
		return &loadDatabase{
			url:  "sqlite:" + path,
			info: loadDatabaseInfo{Kind: store.DialectSQLite, Where: path},
			drop: func() error { return os.RemoveAll(dir) },
		}, nil
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("--database-url sqlite: needs a file path, for example sqlite:/var/tmp/bench.db")
		}
		if _, err := os.Stat(path); err == nil {
			return nil, fmt.Errorf("--database-url %s: the file exists; the bench writes thousands of lots into its database, so name a new file", raw)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--database-url %s: %w", raw, err)
		}
		return &loadDatabase{url: raw, info: loadDatabaseInfo{Kind: store.DialectSQLite, Where: path, Kept: true}}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return preparePostgres(ctx, raw)
	}
	return nil, fmt.Errorf("--database-url %q: want sqlite:PATH or postgres://…", config.Redact(raw))
}

// preparePostgres creates a database for the run on the server of url,
// to be dropped when the run ends.
func preparePostgres(ctx context.Context, raw string) (*loadDatabase, error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("--database-url: not a URL: %w", err)
	}
	admin, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, fmt.Errorf("--database-url %s: %w", u.Redacted(), err)
	}
	admin.SetMaxOpenConns(1)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := admin.PingContext(pingCtx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("no PostgreSQL server answers at %s: %w", u.Redacted(), err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := fmt.Sprintf("millwa_bench_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	quoted := pgx.Identifier{name}.Sanitize()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+quoted); err != nil {
		admin.Close()
		return nil, fmt.Errorf("creating database %s on %s (the user needs CREATEDB): %w", name, u.Redacted(), err)
	}
	nu := *u
	nu.Path, nu.RawPath = "/"+name, ""
	drop := func() error {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends sessions still open (PostgreSQL 13 and later); an
		// older server does not know it, and by now has none to end.
		_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)")
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42601" {
			_, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoted)
		}
		if err != nil {
			return fmt.Errorf("dropping the bench's database %s: %w", name, err)
		}
		return nil
	}
	return &loadDatabase{
		url:  nu.String(),
		info: loadDatabaseInfo{Kind: store.DialectPostgres, Where: nu.Redacted()},
		drop: drop,
	}, nil
}

// loadEnv is a running server with its clients, the fixtures the
// scenarios use, and the raw connection for the baselines.
type loadEnv struct {
	db  *loadDatabase
	raw *rawDB

	stopServer func() error

	conn, healthConn *grpc.ClientConn
	reg              millwav1.RegistryServiceClient
	health           healthpb.HealthClient
	httpClient       *http.Client
	httpBase         string
	metricsBase      string
	grpcAddr         string
	secret           string

	// parent is the association every lot belongs to.
	parent string
	// lotNames and lotIDs are the seed lots, which the read path reads.
	lotNames, lotIDs []string
	// lot is what CreateLot sends; batch what BatchCreateLots sends.
	lot   *millwav1.Lot
	batch []*millwav1.CreateLotRequest

	continuous bool
	requests   atomic.Int64
}

// newLoadEnv makes the database, starts the server on it, and creates the
// fixtures through the API: an association with three members and a
// classifier, and the seed lots.
func newLoadEnv(ctx context.Context, opt loadOptions, progress io.Writer) (_ *loadEnv, err error) {
	env := &loadEnv{}
	defer func() {
		if err != nil {
			err = errors.Join(err, env.close())
		}
	}()
	if env.db, err = prepareLoadDatabase(ctx, opt.databaseURL); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "bench load: database %s\n", env.db.info.Where)

	// The bench's own admin key is made before the server starts, as
	// "millwa demo" does, so that its secret never leaves the process.
	cfg := config.Default()
	cfg.DatabaseURL = env.db.url
	st, err := instance.OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	key := millwa.APIKey{DisplayName: "millwa bench load", Role: millwa.RoleAdmin, ExpireTime: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Microsecond)}
	env.secret, err = auth.CreateKey(ctx, st, &key)
	st.Close()
	if err != nil {
		return nil, fmt.Errorf("creating the bench's key: %w", err)
	}

	cfg.RateLimit, cfg.RateBurst = 1e9, 1e9
	if opt.configure != nil {
		opt.configure(&cfg)
	}
	env.continuous = cfg.ContinuousMatching
	// The server logs as it would in production, into nothing (see
	// instance.Start): the cost of formatting each call's line is measured.
	srv, err := instance.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	env.stopServer = srv.Stop

	env.conn, err = instance.Dial(srv.GRPCAddr(), env.secret)
	if err != nil {
		return nil, err
	}
	// Health/Check goes without a key, as load balancers call it, so that
	// it measures the RPC path alone and not the key's lookup.
	env.healthConn, err = grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	env.reg = millwav1.NewRegistryServiceClient(env.conn)
	env.health = healthpb.NewHealthClient(env.healthConn)
	env.httpBase = "http://" + srv.HTTPAddr()
	env.metricsBase = "http://" + srv.MetricsAddr()
	env.grpcAddr = srv.GRPCAddr()
	env.httpClient = &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: slices.Max(opt.concurrency) + 1,
		IdleConnTimeout:     time.Minute,
	}}

	if err := env.fixtures(ctx, opt, progress); err != nil {
		return nil, err
	}

	if env.raw, err = openRawDB(ctx, env.db.url); err != nil {
		return nil, fmt.Errorf("opening the database for the baselines: %w", err)
	}
	if env.db.info.Version, err = env.raw.version(ctx); err != nil {
		return nil, fmt.Errorf("reading the database's version: %w", err)
	}
	if err := env.raw.loadTemplate(ctx, env.lotIDs[0]); err != nil {
		return nil, err
	}
	env.raw.prepareBulk(opt.batch)
	return env, nil
}

// fixtures creates, through the API, what the scenarios read and write
// against.
func (env *loadEnv) fixtures(ctx context.Context, opt loadOptions, progress io.Writer) error {
	first := "2044800000"
	a, err := env.reg.CreateAssociation(ctx, &millwav1.CreateAssociationRequest{RequestId: env.requestID(), Association: &millwav1.Association{
		LegalName: "Asociación de Criadores de Alpaca Prueba de Carga de Macusani", Ruc: first + string(millwa.RUCCheckDigit(first)),
		Ubigeo: "211101", Community: "Comunidad Campesina de Chimboya",
		Contact: &millwav1.Contact{PersonName: "Rosa Quispe Mamani", Phone: "+51 951 234 567"},
	}})
	if err != nil {
		return fmt.Errorf("creating the association: %w", err)
	}
	env.parent = a.GetAssociation().GetName()
	var members []string
	for i := range 3 {
		herd := int32(60 + 40*i)
		m, err := env.reg.CreateMember(ctx, &millwav1.CreateMemberRequest{Parent: env.parent, RequestId: env.requestID(), Member: &millwav1.Member{
			DisplayName: []string{"Juan Condori Huamán", "Justina Apaza Layme", "Hilario Turpo Ccallo"}[i],
			Dni:         fmt.Sprintf("4100000%d", i), Sex: millwav1.Sex_SEX_FEMALE, HerdSize: &herd,
		}})
		if err != nil {
			return fmt.Errorf("creating a member: %w", err)
		}
		members = append(members, m.GetMember().GetName())
	}
	c, err := env.reg.CreateClassifier(ctx, &millwav1.CreateClassifierRequest{Parent: env.parent, RequestId: env.requestID(), Classifier: &millwav1.Classifier{
		DisplayName: "María Huamaní Ccora", Dni: "47000001", CertificationNumber: "SINEACE-ALP-0001", CertificationDate: "2023-08-15",
	}})
	if err != nil {
		return fmt.Errorf("creating the classifier: %w", err)
	}

	// A measured BABY lot of 36 kg from three members: the measurement
	// makes the service grade it, as most lots of a season are. It has no
	// lot number, which would have to differ from lot to lot: every lot
	// the bench makes is a copy of this one.
	mfd, sd, fibres, staple := 21.4, 4.1, int64(2500), 82.0
	env.lot = &millwav1.Lot{
		Campaign: 2026, Breed: "HUACAYA", Colour: "WHITE", DeclaredQualityGroup: "BABY",
		Classifier: c.GetClassifier().GetName(), NetWeightGrams: 36000,
		Contributions: []*millwav1.Contribution{
			{Member: members[0], Grams: 15000}, {Member: members[1], Grams: 12000}, {Member: members[2], Grams: 9000},
		},
		CollectionPoint: "Centro de acopio comunal", AskPricePerKg: 2200, ClassificationDate: "2026-11-20",
		Measurement: &millwav1.FiberSample{MeanFiberDiameterUm: &mfd, SdUm: &sd, FibersMeasured: &fibres, StapleLengthMm: &staple},
	}
	env.batch = make([]*millwav1.CreateLotRequest, opt.batch)
	for i := range env.batch {
		env.batch[i] = &millwav1.CreateLotRequest{Lot: env.lot}
	}

	fmt.Fprintf(progress, "bench load: creating %d seed lots\n", opt.seedLots)
	for left := opt.seedLots; left > 0; {
		n := min(left, registry.MaxBatchLots)
		reqs := make([]*millwav1.CreateLotRequest, n)
		for i := range reqs {
			reqs[i] = &millwav1.CreateLotRequest{Lot: env.lot}
		}
		resp, err := env.reg.BatchCreateLots(ctx, &millwav1.BatchCreateLotsRequest{Parent: env.parent, RequestId: env.requestID(), Requests: reqs})
		if err != nil {
			return fmt.Errorf("creating the seed lots: %w", err)
		}
		for _, l := range resp.GetLots() {
			env.lotNames = append(env.lotNames, l.GetName())
			env.lotIDs = append(env.lotIDs, l.GetName()[strings.LastIndexByte(l.GetName(), '/')+1:])
		}
		left -= n
	}
	return nil
}

// requestID is a request_id not used before in the run's database.
func (env *loadEnv) requestID() string {
	return fmt.Sprintf("bench-load-%d", env.requests.Add(1))
}

// pick chooses the seed lot a worker reads next: workers start at
// different lots and walk the seed lots in turn.
func (env *loadEnv) pick(worker, seq int) int {
	return (worker*131 + seq) % len(env.lotIDs)
}

// close stops the server and removes what the run made.
func (env *loadEnv) close() error {
	var errs []error
	if env.httpClient != nil {
		env.httpClient.CloseIdleConnections()
	}
	for _, c := range []*grpc.ClientConn{env.conn, env.healthConn} {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	if env.stopServer != nil {
		errs = append(errs, env.stopServer())
	}
	if env.raw != nil {
		errs = append(errs, env.raw.close())
	}
	if env.db != nil && env.db.drop != nil {
		errs = append(errs, env.db.drop())
	}
	return errors.Join(errs...)
}

// group returns a group's scenarios, in the order they take turns, and
// the pairs compared.
func (env *loadEnv) group(g string) ([]*loadArm, []loadPair) {
	switch g {
	case groupRead:
		return []*loadArm{
				{name: "get-lot", title: "GetLot, gRPC", lotsPerOp: 1, op: env.getLot},
				{name: "health", title: "Health/Check, gRPC, no key", lotsPerOp: 0, op: env.checkHealth},
				{name: "raw-select", title: "SELECT lot row by id, database/sql", lotsPerOp: 1, op: env.rawSelect},
				{name: "rest-get-lot", title: "GetLot, REST (gateway, JSON)", lotsPerOp: 1, op: env.restGetLot},
			}, []loadPair{
				{subject: "get-lot", baseline: "health", title: "GetLot ÷ Health/Check"},
				{subject: "get-lot", baseline: "raw-select", title: "GetLot ÷ SELECT lot row"},
				{subject: "rest-get-lot", baseline: "get-lot", title: "GetLot REST ÷ GetLot gRPC"},
			}
	case groupWrite:
		return []*loadArm{
				{name: "create-lot", title: "CreateLot, gRPC", lotsPerOp: 1, op: env.createLot},
				{name: "raw-insert", title: "INSERT lot + contributions, one tx", lotsPerOp: 1, op: env.rawInsert},
			}, []loadPair{
				{subject: "create-lot", baseline: "raw-insert", title: "CreateLot ÷ INSERT lot + contributions"},
			}
	case groupBatch:
		bulk := "multi-row INSERT, one tx"
		if env.raw.dialect == store.DialectPostgres {
			bulk = "COPY (pgx CopyFrom), one tx"
		}
		return []*loadArm{
				{name: "batch-create-lots", title: "BatchCreateLots, gRPC", lotsPerOp: len(env.batch), op: env.batchCreateLots},
				{name: "raw-bulk-insert", title: bulk, lotsPerOp: len(env.batch), op: env.rawBulk},
			}, []loadPair{
				{subject: "batch-create-lots", baseline: "raw-bulk-insert", title: "BatchCreateLots ÷ " + strings.TrimSuffix(bulk, ", one tx")},
			}
	}
	panic("bench load: unknown group " + g)
}

func (env *loadEnv) getLot(ctx context.Context, worker, seq int) error {
	_, err := env.reg.GetLot(ctx, &millwav1.GetLotRequest{Name: env.lotNames[env.pick(worker, seq)]})
	return err
}

func (env *loadEnv) checkHealth(ctx context.Context, _, _ int) error {
	resp, err := env.health.Check(ctx, &healthpb.HealthCheckRequest{})
	if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("health: %s", resp.GetStatus())
	}
	return err
}

func (env *loadEnv) rawSelect(ctx context.Context, worker, seq int) error {
	_, err := env.raw.readLot(ctx, env.lotIDs[env.pick(worker, seq)])
	return err
}

// restGetLot reads a lot through the gateway and decodes it as a typed
// client would, so that both sides of REST ÷ gRPC end with a Lot.
func (env *loadEnv) restGetLot(ctx context.Context, worker, seq int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.httpBase+"/v1/"+env.lotNames[env.pick(worker, seq)], nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+env.secret)
	resp, err := env.httpClient.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %.200s", req.URL.Path, resp.Status, body)
	}
	var lot millwav1.Lot
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &lot)
}

func (env *loadEnv) createLot(ctx context.Context, _, _ int) error {
	_, err := env.reg.CreateLot(ctx, &millwav1.CreateLotRequest{Parent: env.parent, RequestId: env.requestID(), Lot: env.lot})
	return err
}

func (env *loadEnv) rawInsert(ctx context.Context, _, _ int) error {
	return env.raw.insertOne(ctx)
}

func (env *loadEnv) batchCreateLots(ctx context.Context, _, _ int) error {
	resp, err := env.reg.BatchCreateLots(ctx, &millwav1.BatchCreateLotsRequest{Parent: env.parent, RequestId: env.requestID(), Requests: env.batch})
	if err == nil && len(resp.GetLots()) != len(env.batch) {
		err = fmt.Errorf("BatchCreateLots made %d lots of %d", len(resp.GetLots()), len(env.batch))
	}
	return err
}

func (env *loadEnv) rawBulk(ctx context.Context, _, _ int) error {
	return env.raw.insertBulk(ctx, len(env.batch))
}
