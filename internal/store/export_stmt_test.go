package store

import "sort"

// PreparedQueries waits for the statements being prepared and returns the
// texts the reader and writer pools keep prepared (none on PostgreSQL).
func (s *Store) PreparedQueries() (readers, writer []string) {
	list := func(c *stmtCache) []string {
		if c == nil {
			return nil
		}
		c.wg.Wait()
		c.mu.Lock()
		defer c.mu.Unlock()
		var out []string
		for q := range c.stmts {
			out = append(out, q)
		}
		sort.Strings(out)
		return out
	}
	return list(s.rstmts), list(s.wstmts)
}
