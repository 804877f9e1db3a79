//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package bench

import (
	"syscall"
	"time"
)

// cpuClockName says how processCPU measures, for the report.
const cpuClockName = "user + system time, getrusage(RUSAGE_SELF)"

// processCPU is the CPU time, user and system, that every thread of this
// process has used so far. getrusage counts threads that have exited too,
// so goroutines moving between threads lose nothing.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
