// Package report writes the grading consistency report of the audit
// service for people: a self-contained HTML page with an SVG heat map of
// the confusion matrix and a monthly chart, and a CSV download for a
// spreadsheet, in Spanish or English. It works on the
// millwav1.ConsistencyReport the API answers and does no I/O of its own, so
// that the gateway's routes only fetch, hand over and send.
//
// It also reads the query of the report routes into the request of
// AuditService.GetConsistencyReport, and names the saved files.
package report

import (
	"io"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// PageCSP is the Content-Security-Policy of the HTML report: it loads
// nothing from anywhere and runs nothing. Its inline style applies, and
// data: images would; it may not be framed, nor send a form.
const PageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Format is one form of the consistency report for people.
type Format struct {
	// Ext is the extension of the route's path and of the file name.
	Ext         string
	ContentType string
	// Disposition is "inline" for a page to read, "attachment" for a file
	// to save.
	Disposition string
	// CSP is the Content-Security-Policy to answer with, if any.
	CSP    string
	Render func(io.Writer, *millwav1.ConsistencyReport, *Language) error
}

// Formats are the forms served: the page and the CSV download.
var Formats = []Format{
	{Ext: "html", ContentType: "text/html; charset=utf-8", Disposition: "inline", Render: HTML, CSP: PageCSP},
	{Ext: "csv", ContentType: "text/csv; charset=utf-8", Disposition: "attachment", Render: CSV},
}
