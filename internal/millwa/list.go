package millwa

// Page sizes of List calls (AIP-158).
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageSize returns the number of items a List call returns for the
// requested page_size: the default for 0, the maximum for anything above it,
// and an Invalid error for a negative size.
func PageSize(requested int32) (int, error) {
	switch {
	case requested < 0:
		var vs Violations
		vs.Add("page_size", "must not be negative; use 0 for the default of %d", DefaultPageSize)
		return 0, vs.Err()
	case requested == 0:
		return DefaultPageSize, nil
	case requested > MaxPageSize:
		return MaxPageSize, nil
	}
	return int(requested), nil
}
