package store

import (
	"database/sql"
	"encoding/json"

	"github.com/millwa/millwa/internal/millwa"
)

// measurementRow holds the fibre measurement columns that lots and check
// gradings share, embedded in both rows.
type measurementRow struct {
	MFD          sql.NullFloat64 `db:"mean_fibre_diameter_um"`
	SD           sql.NullFloat64 `db:"fibre_diameter_sd_um"`
	Fibres       sql.NullInt64   `db:"fibres_measured"`
	Histogram    sql.NullString  `db:"diameter_histogram"`
	StapleLength sql.NullFloat64 `db:"staple_length_mm"`
}

// histogramDoc is how a diameter histogram is kept in its column.
type histogramDoc struct {
	LowerUm    float64 `json:"lower_um"`
	BinWidthUm float64 `json:"bin_width_um"`
	Counts     []int64 `json:"counts"`
}

// newMeasurementRow returns the columns of m, all NULL for a nil m.
func newMeasurementRow(m *millwa.Measurement) (measurementRow, error) {
	var r measurementRow
	if m == nil {
		return r, nil
	}
	r.MFD, r.SD, r.StapleLength = nullFloat(m.MeanFiberDiameterUm), nullFloat(m.SDUm), nullFloat(m.StapleLengthMm)
	if m.FibersMeasured != nil {
		r.Fibres = sql.NullInt64{Int64: *m.FibersMeasured, Valid: true}
	}
	if len(m.HistogramCounts) > 0 {
		b, err := json.Marshal(histogramDoc{LowerUm: m.HistogramStartUm, BinWidthUm: m.HistogramWidthUm, Counts: m.HistogramCounts})
		if err != nil {
			return r, millwa.Wrap(millwa.Internal, err, "encoding a histogram")
		}
		r.Histogram = sql.NullString{String: string(b), Valid: true}
	}
	return r, nil
}

// measured reports whether the row holds a measurement: a mean diameter,
// a histogram or a staple length.
func (r *measurementRow) measured() bool {
	return r.MFD.Valid || r.Histogram.Valid || r.StapleLength.Valid
}

// fill sets m's fields from the row's non-NULL columns.
func (r *measurementRow) fill(m *millwa.Measurement) {
	if r.MFD.Valid {
		m.MeanFiberDiameterUm = &r.MFD.Float64
	}
	if r.SD.Valid {
		m.SDUm = &r.SD.Float64
	}
	if r.Fibres.Valid {
		m.FibersMeasured = &r.Fibres.Int64
	}
	if r.StapleLength.Valid {
		m.StapleLengthMm = &r.StapleLength.Float64
	}
	var h histogramDoc
	if r.Histogram.Valid && json.Unmarshal([]byte(r.Histogram.String), &h) == nil {
		m.HistogramStartUm, m.HistogramWidthUm, m.HistogramCounts = h.LowerUm, h.BinWidthUm, h.Counts
	}
}

func nullFloat(p *float64) sql.NullFloat64 {
	if p == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *p, Valid: true}
}
