package millwa

import "strings"

// DefaultCurrency is the currency of prices that name none: Peruvian soles.
const DefaultCurrency = "PEN"

// NormalizeCurrency trims and upper-cases an ISO 4217 code, and gives
// DefaultCurrency for an empty one.
func NormalizeCurrency(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return DefaultCurrency
	}
	return code
}

// CheckCurrency records a violation of field in vs unless code, as
// NormalizeCurrency left it, has the shape of an ISO 4217 code: three
// letters A to Z.
func CheckCurrency(vs *Violations, field, code string) {
	if len(code) != 3 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		vs.Add(field, "must be an ISO 4217 code such as %s", DefaultCurrency)
	}
}
