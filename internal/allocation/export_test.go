package allocation

// SetBatch bounds the orders one of s's sweep transactions expires, so
// that a test can make a backlog of a few orders.
func (s *Scheduler) SetBatch(n int) { s.batch = n }
