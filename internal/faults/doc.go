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
//
// The package has no code of its own; it exists for its tests, which build
// cmd/millwa once and start it as a subprocess. PostgreSQL cases use the
// server of internal/store/storetest and, for the stop and start cases, a
// private cluster made with initdb in a temporary directory, so that the
// shared server is never stopped.
package faults
