// Package rpc is the kit every service shares: the mutation runner (Do),
// which runs the state-changing RPCs of every service the same way, the
// generic Get, List and Create helpers, and the conversions of the common
// proto types. Services share through this package, never through each
// other.
//
// Do claims the call's request_id (AIP-155), makes the change, appends the
// audit events and stores the answer in one transaction, so that a retry,
// a lost reply, a restart or another replica can never apply a change
// twice, and no change escapes the audit chain.
package rpc
