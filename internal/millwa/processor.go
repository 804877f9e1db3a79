package millwa

import (
	"strings"
	"time"
)

// Processor is a company that buys alpaca fibre and processes it in its
// plant (most of them in Arequipa). Processors post purchase orders on the
// market.
type Processor struct {
	// ID is the server-assigned UUIDv7; the resource name is
	// "processors/{ID}".
	ID        string
	LegalName string
	// RUC is the processor's taxpayer number (11 digits, starting 10, 15,
	// 17 or 20: see ProcessorRUCPrefixes).
	RUC string
	// Ubigeo is the INEI district code of the processing plant.
	Ubigeo string
	// PlantLocation is the plant's address, where lots are delivered by
	// default.
	PlantLocation string
	Contact       Contact
	// Revision counts changes; the etag is derived from it.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// MaxPlantLocationLen bounds Processor.PlantLocation, in characters.
const MaxPlantLocationLen = 300

// Normalize trims surrounding white space from the processor's text fields,
// so that what is stored is what is validated.
func (p *Processor) Normalize() {
	p.LegalName = strings.TrimSpace(p.LegalName)
	p.RUC = strings.TrimSpace(p.RUC)
	p.Ubigeo = strings.TrimSpace(p.Ubigeo)
	p.PlantLocation = strings.TrimSpace(p.PlantLocation)
	p.Contact.Normalize()
}

// Check records a violation in vs for every bad field the client supplied,
// with field paths under prefix.
func (p *Processor) Check(vs *Violations, prefix string) {
	checkText(vs, prefix+".legal_name", p.LegalName, 1, MaxNameLen)
	checkProcessorRUC(vs, prefix+".ruc", p.RUC)
	if msg := CheckUbigeo(p.Ubigeo); msg != "" {
		vs.Add(prefix+".ubigeo", "%s", msg)
	}
	checkText(vs, prefix+".plant_location", p.PlantLocation, 1, MaxPlantLocationLen)
	p.Contact.validate(vs, prefix+".contact")
}
