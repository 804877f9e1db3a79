//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package bench

import "time"

// cpuClockName says how processCPU measures, for the report.
const cpuClockName = "not measured on this system"

// processCPU reports that the process's CPU time is unknown here.
func processCPU() (time.Duration, bool) { return 0, false }
