//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package bench

// raiseFileLimit does nothing where the limit on open files is not an
// rlimit; 0 says it is unknown.
func raiseFileLimit() uint64 { return 0 }
