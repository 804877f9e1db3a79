package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Times are stored at microsecond precision in UTC: TIMESTAMPTZ on
// PostgreSQL, and on SQLite TEXT in timeLayout, whose fixed width makes text
// order time order (a CHECK in the schema refuses any other shape). Every
// time column is written and read through dbTime or dbNullTime, so both
// databases return exactly the value that was written.

// timeLayout is how a time is written as text: UTC, always six fractional
// digits, 27 characters.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// now returns the current time as the store records it: UTC, truncated to
// the microsecond, so that a value kept in memory equals the one read back.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// dbTime is a time column. Its Value is the text form, which PostgreSQL
// parses into TIMESTAMPTZ and SQLite stores as is; Scan accepts either.
type dbTime struct{ time.Time }

// Value implements driver.Valuer.
func (t dbTime) Value() (driver.Value, error) {
	return formatTime(t.Time)
}

// Scan implements sql.Scanner.
func (t *dbTime) Scan(src any) error {
	if src == nil {
		return fmt.Errorf("scanning a time: NULL in a NOT NULL column")
	}
	v, err := scanTime(src)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// dbNullTime is a nullable time column; the zero time is NULL.
type dbNullTime struct{ time.Time }

// Value implements driver.Valuer.
func (t dbNullTime) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return formatTime(t.Time)
}

// Scan implements sql.Scanner.
func (t *dbNullTime) Scan(src any) error {
	if src == nil {
		t.Time = time.Time{}
		return nil
	}
	v, err := scanTime(src)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func formatTime(t time.Time) (string, error) {
	u := t.UTC()
	if y := u.Year(); y < 1 || y > 9999 {
		return "", fmt.Errorf("time %v is outside the years 1 to 9999", t)
	}
	return u.Format(timeLayout), nil
}

func scanTime(src any) (time.Time, error) {
	switch v := src.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return parseTime(v)
	case []byte:
		return parseTime(string(v))
	}
	return time.Time{}, fmt.Errorf("scanning a time: unexpected %T", src)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("scanning a time: %w", err)
	}
	return t.UTC(), nil
}
