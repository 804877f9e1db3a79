package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/millwa/millwa/internal/store/storetest"
)

// loadView is the --json report of "millwa bench load" as a reader sees
// it, independent of the types that write it.
type loadView struct {
	Machine struct {
		Cores int    `json:"cores"`
		Go    string `json:"go"`
		OS    string `json:"os"`
		Arch  string `json:"arch"`
	} `json:"machine"`
	Database struct {
		Kind    string `json:"kind"`
		Version string `json:"version"`
		Where   string `json:"where"`
		Kept    bool   `json:"kept"`
	} `json:"database"`
	Settings struct {
		Concurrency []int `json:"concurrency"`
	} `json:"settings"`
	Scenarios []struct {
		Group          string   `json:"group"`
		Name           string   `json:"name"`
		Concurrency    int      `json:"concurrency"`
		Ops            int64    `json:"ops"`
		OpsPerSecond   float64  `json:"opsPerSecond"`
		LotsPerOp      int      `json:"lotsPerOp"`
		LotsPerSecond  float64  `json:"lotsPerSecond"`
		P50Millis      float64  `json:"p50Millis"`
		P99Millis      float64  `json:"p99Millis"`
		Errors         int64    `json:"errors"`
		FirstError     string   `json:"firstError"`
		CPUMicrosPerOp *float64 `json:"cpuMicrosPerOp"`
	} `json:"scenarios"`
	Comparisons []struct {
		Name        string   `json:"name"`
		Concurrency int      `json:"concurrency"`
		Ratio       *float64 `json:"ratio"`
		RoundMin    *float64 `json:"roundRatioMin"`
		RoundMax    *float64 `json:"roundRatioMax"`
		CPURatio    *float64 `json:"cpuRatio"`
		P50Ratio    *float64 `json:"p50Ratio"`
	} `json:"comparisons"`
	CPUProfile string `json:"cpuProfile"`
}

// Every scenario and every comparison a full run reports, at each
// concurrency.
var (
	loadScenarioNames   = []string{"get-lot", "health", "raw-select", "rest-get-lot", "create-lot", "raw-insert", "batch-create-lots", "raw-bulk-insert"}
	loadComparisonNames = []string{"get-lot/health", "get-lot/raw-select", "rest-get-lot/get-lot", "create-lot/raw-insert", "batch-create-lots/raw-bulk-insert"}
)

// runLoad runs "millwa bench load args…" in-process and returns what it
// printed and its progress lines.
func runLoad(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	return execute(ctx, append([]string{"load"}, args...)...)
}

// loadJSON runs a quick load with --json and decodes its report.
func loadJSON(t *testing.T, args ...string) loadView {
	t.Helper()
	out, progress, err := runLoad(t, append([]string{"--quick", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("bench load: %v\n%s", err, progress)
	}
	var v loadView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("decoding the report: %v\n%s", err, out)
	}
	return v
}

// checkLoadReport asserts that every scenario and ratio is there for
// each concurrency, with operations, without errors and with finite,
// positive ratios. It asserts nothing about speed.
func checkLoadReport(t *testing.T, v loadView, kind string) {
	t.Helper()
	if v.Machine.Cores < 1 || v.Machine.Go == "" || v.Machine.OS == "" || v.Machine.Arch == "" {
		t.Errorf("machine header incomplete: %+v", v.Machine)
	}
	if v.Database.Kind != kind || v.Database.Version == "" || v.Database.Where == "" {
		t.Errorf("database header %+v, want kind %s with a version and a place", v.Database, kind)
	}
	if len(v.Settings.Concurrency) == 0 {
		t.Fatalf("no concurrency in the settings")
	}
	positive := func(what string, p *float64) {
		t.Helper()
		if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) || *p <= 0 {
			t.Errorf("%s = %v, want a finite number > 0", what, p)
		}
	}
	for _, c := range v.Settings.Concurrency {
		for _, name := range loadScenarioNames {
			found := 0
			for _, s := range v.Scenarios {
				if s.Name != name || s.Concurrency != c {
					continue
				}
				found++
				if s.Ops <= 0 || s.OpsPerSecond <= 0 || s.P50Millis <= 0 || s.P99Millis < s.P50Millis {
					t.Errorf("%s at concurrency %d: ops %d, %.1f ops/s, p50 %.3f ms, p99 %.3f ms", name, c, s.Ops, s.OpsPerSecond, s.P50Millis, s.P99Millis)
				}
				if s.Errors != 0 {
					t.Errorf("%s at concurrency %d: %d errors, the first: %s", name, c, s.Errors, s.FirstError)
				}
				if s.LotsPerOp > 0 && s.LotsPerSecond <= 0 {
					t.Errorf("%s at concurrency %d: %d lots an op but %.1f lots/s", name, c, s.LotsPerOp, s.LotsPerSecond)
				}
				if s.CPUMicrosPerOp != nil && (*s.CPUMicrosPerOp < 0 || math.IsNaN(*s.CPUMicrosPerOp)) {
					t.Errorf("%s at concurrency %d: CPU %v µs an op", name, c, *s.CPUMicrosPerOp)
				}
			}
			if found != 1 {
				t.Errorf("scenario %s at concurrency %d reported %d times, want once", name, c, found)
			}
		}
		for _, name := range loadComparisonNames {
			found := 0
			for _, cmp := range v.Comparisons {
				if cmp.Name != name || cmp.Concurrency != c {
					continue
				}
				found++
				positive(name+" ratio", cmp.Ratio)
				positive(name+" round ratio min", cmp.RoundMin)
				positive(name+" round ratio max", cmp.RoundMax)
				positive(name+" CPU ratio", cmp.CPURatio)
				positive(name+" p50 ratio", cmp.P50Ratio)
				if cmp.RoundMin != nil && cmp.RoundMax != nil && *cmp.RoundMin > *cmp.RoundMax {
					t.Errorf("%s: round ratios from %v to %v", name, *cmp.RoundMin, *cmp.RoundMax)
				}
			}
			if found != 1 {
				t.Errorf("comparison %s at concurrency %d reported %d times, want once", name, c, found)
			}
		}
	}
	if want := len(v.Settings.Concurrency) * len(loadScenarioNames); len(v.Scenarios) != want {
		t.Errorf("%d scenarios reported, want %d", len(v.Scenarios), want)
	}
}

func TestBenchLoadQuickSQLite(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "cpu.prof")
	v := loadJSON(t, "--cpuprofile", profile)
	checkLoadReport(t, v, "sqlite")
	if v.Database.Kept {
		t.Errorf("the default database is reported kept")
	}
	if _, err := os.Stat(v.Database.Where); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run's database %s is still there after it (%v)", v.Database.Where, err)
	}
	if st, err := os.Stat(profile); err != nil || st.Size() == 0 || v.CPUProfile != profile {
		t.Errorf("CPU profile %s: %v, reported %q", profile, err, v.CPUProfile)
	}
}

func TestBenchLoadQuickSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.db")
	v := loadJSON(t, "--database-url", "sqlite:"+path, "--concurrency", "2", "--groups", "write,read")
	if !v.Database.Kept || v.Database.Where != path {
		t.Errorf("database %+v, want %s kept", v.Database, path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the named database file is gone: %v", err)
	}
	// Only the groups asked for run, write before read as always.
	var groups []string
	for _, s := range v.Scenarios {
		if len(groups) == 0 || groups[len(groups)-1] != s.Group {
			groups = append(groups, s.Group)
		}
	}
	if strings.Join(groups, ",") != "read,write" {
		t.Errorf("groups run: %v, want read, write", groups)
	}
	// A second run refuses the now existing file rather than write into it.
	if _, _, err := runLoad(t, "--quick", "--database-url", "sqlite:"+path); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second run on %s: %v, want a refusal naming the existing file", path, err)
	}
}

func TestBenchLoadQuickPostgres(t *testing.T) {
	// The bench makes its own database on the server of the URL it is
	// given; storetest's database only decides whether a server answers.
	url := storetest.PostgresURL(t)
	v := loadJSON(t, "--database-url", url)
	checkLoadReport(t, v, "postgres")
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	name := v.Database.Where[strings.LastIndexByte(v.Database.Where, '/')+1:]
	name, _, _ = strings.Cut(name, "?")
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "millwa_bench_") || n != 0 {
		t.Errorf("the run's database %q: %d left after the run, want it dropped", name, n)
	}
}

func TestBenchLoadTable(t *testing.T) {
	out, _, err := runLoad(t, "--quick", "--groups", "read", "--concurrency", "1", "--rounds", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"millwa bench load\n", "\nmachine ", "\ndatabase  SQLite ", "\nrun       concurrency 1;", "getrusage",
		"GetLot, gRPC", "Health/Check", "SELECT lot row", "GetLot, REST",
		"GetLot ÷ Health/Check", "GetLot ÷ SELECT lot row", "GetLot REST ÷ GetLot gRPC",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "CreateLot") {
		t.Errorf("--groups read ran the write path:\n%s", out)
	}
}

func TestBenchLoadErrors(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "taken.db")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--batch", "0"}, "--batch"},
		{[]string{"--batch", "501"}, "--batch"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
		{[]string{"--rounds", "0"}, "--rounds"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--groups", "read,nope"}, `"nope"`},
		{[]string{"--database-url", "mysql://x"}, "sqlite:PATH or postgres://"},
		{[]string{"--database-url", "sqlite:"}, "file path"},
		{[]string{"--database-url", "sqlite:" + existing}, "exists"},
	} {
		_, _, err := runLoad(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bench load %v: %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}

// TestBenchLoadScenarioNames keeps the list --scenarios checks against in
// step with the scenarios the groups run.
func TestBenchLoadScenarioNames(t *testing.T) {
	env := &loadEnv{raw: &rawDB{dialect: "sqlite"}}
	seen := map[string]bool{}
	for _, g := range loadGroups {
		arms, pairs := env.group(g)
		for _, a := range arms {
			if loadScenarioGroups[a.name] != g {
				t.Errorf("scenario %s of group %s is listed under %q", a.name, g, loadScenarioGroups[a.name])
			}
			seen[a.name] = true
		}
		for _, p := range pairs {
			if loadScenarioGroups[p.subject] != g || loadScenarioGroups[p.baseline] != g {
				t.Errorf("pair %s/%s is not within group %s", p.subject, p.baseline, g)
			}
		}
	}
	if len(seen) != len(loadScenarioGroups) || len(seen) != len(loadScenarioNames) {
		t.Errorf("groups run %d scenarios, the list has %d, the test %d", len(seen), len(loadScenarioGroups), len(loadScenarioNames))
	}
}

func TestBenchLoadOnlyScenarios(t *testing.T) {
	v := loadJSON(t, "--groups", "read", "--scenarios", "get-lot,raw-select", "--concurrency", "1")
	var names []string
	for _, s := range v.Scenarios {
		names = append(names, s.Name)
		if s.Ops <= 0 || s.Errors != 0 {
			t.Errorf("%s: %d ops, %d errors", s.Name, s.Ops, s.Errors)
		}
	}
	if strings.Join(names, ",") != "get-lot,raw-select" {
		t.Errorf("scenarios run: %v, want get-lot, raw-select", names)
	}
	if len(v.Comparisons) != 1 || v.Comparisons[0].Name != "get-lot/raw-select" {
		t.Errorf("comparisons: %+v, want get-lot/raw-select alone", v.Comparisons)
	}
	if _, _, err := runLoad(t, "--groups", "read", "--scenarios", "create-lot"); err == nil || !strings.Contains(err.Error(), "not among --groups") {
		t.Errorf("a scenario outside --groups: %v, want a refusal", err)
	}
}
