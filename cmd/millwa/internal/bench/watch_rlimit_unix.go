//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package bench

import "syscall"

// raiseFileLimit raises the soft limit on open files to the hard limit,
// so that thousands of streams and their connections fit; it returns the
// limit now in force, 0 when unknown.
func raiseFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	if l.Cur < l.Max {
		raised := l
		raised.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			l = raised
		}
	}
	return uint64(l.Cur)
}
