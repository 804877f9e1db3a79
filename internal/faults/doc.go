// Package faults holds Millwa's fault suite: tests that run the real millwa
// binary against real databases and break things under it while clients
// write, then check that nothing acknowledged was lost and that no gram of
// fibre was sold twice.
//
//   - TestKillUnderMarketLoad kills the server with SIGKILL while
//     associations create lots, processors place purchase orders that
//     continuous matching turns into trades, and both sides confirm,
//     deliver and pay them; it restarts the server on the same SQLite file
//     or PostgreSQL database and checks every acknowledged answer, the
//     market's accounting in SQL, the idempotency records and the audit
//     chain.
//   - TestPostgresOutageUnderLoad takes PostgreSQL away under read and
//     write load (a private cluster stopped fast or immediately, or the
//     network path to it turned into a black hole) and brings it back: the
//     health service must say NOT_SERVING within seconds, no call may
//     outlive its deadline, and the same server process must recover on its
//     own with every acknowledged write in place.
//   - TestPatroni builds a PostgreSQL cluster under Patroni (one etcd,
//     three servers with synchronous replication; patroni_test.go) and
//     runs two servers on it under market load through a switchover and a
//     failover (the primary's postmaster killed with SIGKILL): the
//     synchronous standby is promoted within seconds, both servers take
//     writes again without a restart, clients see only retryable answers,
//     and nothing acknowledged is lost. It also shows stale-tolerant reads
//     leaving standbys whose replay stops (MILLWA_MAX_REPLICA_LAG). It
//     needs Debian's patroni, etcd-server and python3-etcd, which .ci/run
//     installs; elsewhere it skips saying so, and under CI=true it fails.
//
// The package has no code of its own; it exists for its tests, which build
// cmd/millwa once and start it as a subprocess. PostgreSQL cases use the
// server of internal/store/storetest and, for the stop and start cases, a
// private cluster made with initdb in a temporary directory, so that the
// shared server is never stopped.
package faults
