package report

import (
	"errors"
	"time"
)

// Lima is Peru's time zone, in which a date given for a time range is
// read. Peru has kept UTC−5 all year since 1994, so a fixed zone is exact
// and needs no time zone database on the host.
var Lima = time.FixedZone("America/Lima", -5*60*60)

// TimeFormats names the values a time range's bound accepts; an error about
// such a value quotes it so that the caller can correct the request.
const TimeFormats = "an RFC 3339 time such as 2026-01-01T00:00:00Z, or a date such as 2026-01-01, " +
	"meaning the start of that day in Peru (America/Lima, 05:00 UTC)"

// errNotATime is ParseTime's error for a value in neither format.
var errNotATime = errors.New("not a time: give " + TimeFormats)

// ParseTime reads a bound of a time range given as text: an RFC 3339 time,
// or a date (YYYY-MM-DD) meaning the first instant of that day in Lima. An
// inspector thinks in days of the campaign, and a day in Peru starts five
// hours after UTC midnight: a date read as UTC would put the evening
// checks of the day before into the range.
func ParseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, Lima); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errNotATime
}
