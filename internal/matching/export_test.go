package matching

// ClearInTwoStages is Clear with the surplus and the tie-breaks solved as
// two successive stages, the path taken by books whose prices and ranks
// are too wide for one packed cost, so that tests reach it with small
// books.
func ClearInTwoStages(b Book) (Result, error) { return clearBook(b, true, nil) }

// CPUTime is the processor time the process has used, for benchmarks.
var CPUTime = cpuTime
