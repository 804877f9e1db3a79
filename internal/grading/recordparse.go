package grading

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeFast reads a grade record without reflection. It accepts only
// records it reads exactly as encoding/json would (see DecodeRecord) and
// answers ok=false for anything else, including every record that
// decodeJSON refuses, so that decodeJSON decides those.
func decodeFast(b []byte) (g Grade, ok bool) {
	p := recordParser{b: b}
	if !p.record(&g) {
		return Grade{}, false
	}
	p.space()
	if p.i != len(p.b) {
		return Grade{}, false
	}
	g.Standard = strings.TrimPrefix(g.Standard, "standards/")
	if g.Standard == "" || g.QualityGroup == "" {
		return Grade{}, false
	}
	return g, true
}

// recordParser walks a record; every method returns false on anything it
// does not read exactly.
type recordParser struct {
	b []byte
	i int
}

// space skips JSON white space.
func (p *recordParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c, after white space.
func (p *recordParser) byte(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// peek reports whether the next byte, after white space, is c.
func (p *recordParser) peek(c byte) bool {
	p.space()
	return p.i < len(p.b) && p.b[p.i] == c
}

// object reads an object whose keys, each at most once, field reads
// (returning false for a key it does not know).
func (p *recordParser) object(field func(key []byte, seen *uint16) bool) bool {
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return true
	}
	var seen uint16
	for {
		key, ok := p.raw()
		if !ok || !p.byte(':') || !field(key, &seen) {
			return false
		}
		if p.byte('}') {
			return true
		}
		if !p.byte(',') {
			return false
		}
	}
}

// once marks key number n seen, false when it was already.
func once(seen *uint16, n uint) bool {
	if *seen&(1<<n) != 0 {
		return false
	}
	*seen |= 1 << n
	return true
}

// str reads a string without escapes or control characters, in valid
// UTF-8: one that encoding/json would read byte for byte.
func (p *recordParser) str() (string, bool) {
	s, ok := p.raw()
	return string(s), ok
}

// raw is str's bytes, without a copy.
func (p *recordParser) raw() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// number returns the text of a JSON number.
func (p *recordParser) number() (string, bool) {
	p.space()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return "", false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return "", false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return "", false
		}
	}
	return string(p.b[start:p.i]), true
}

// digits skips decimal digits and returns how many.
func (p *recordParser) digits() int {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// float reads a number as a float64.
func (p *recordParser) float() (float64, bool) {
	s, ok := p.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// boolean reads true or false.
func (p *recordParser) boolean() (bool, bool) {
	p.space()
	rest := p.b[p.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		p.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		p.i += 5
		return false, true
	}
	return false, false
}

// text reads a Text.
func (p *recordParser) text(t *Text) bool {
	return p.object(func(key []byte, seen *uint16) bool {
		var ok bool
		switch string(key) {
		case "es":
			t.ES, ok = p.str()
			return ok && once(seen, 0)
		case "en":
			t.EN, ok = p.str()
			return ok && once(seen, 1)
		}
		return false
	})
}

// strings reads an array of strings; [] is an empty, non-nil slice, as
// encoding/json makes it.
func (p *recordParser) strings() ([]string, bool) {
	if !p.byte('[') {
		return nil, false
	}
	out := []string{}
	if p.byte(']') {
		return out, true
	}
	for {
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if p.byte(']') {
			return out, true
		}
		if !p.byte(',') {
			return nil, false
		}
	}
}

// metricsKeys are the optional float figures of a metrics document, in
// the order of their slots in metrics.
var metricsKeys = [...]string{"sdUm", "cvPercent", "comfortFactorPercent", "spinningFinenessUm", "mfdCi95LowUm", "mfdCi95HighUm"}

// metrics reads a metrics document into m.
func (p *recordParser) metrics(m *Metrics) bool {
	// The optional figures share one allocation.
	var vals *[len(metricsKeys)]float64
	targets := [len(metricsKeys)]**float64{&m.SDUm, &m.CVPercent, &m.ComfortFactorPercent, &m.SpinningFinenessUm, &m.MFDCI95LowUm, &m.MFDCI95HighUm}
	return p.object(func(key []byte, seen *uint16) bool {
		switch string(key) {
		case "meanFiberDiameterUm":
			f, ok := p.float()
			m.MeanFiberDiameterUm = f
			return ok && once(seen, 0)
		case "fibersMeasured":
			// As a JSON string holding an integer, as ",string" reads it.
			if !p.byte('"') {
				return false
			}
			s, ok := p.number()
			if !ok || strings.ContainsAny(s, ".eE") || p.i >= len(p.b) || p.b[p.i] != '"' {
				return false
			}
			p.i++
			n, err := strconv.ParseInt(s, 10, 64)
			m.FibersMeasured = &n
			return err == nil && once(seen, 1)
		}
		for k, name := range metricsKeys {
			if string(key) == name {
				f, ok := p.float()
				if vals == nil {
					vals = new([len(metricsKeys)]float64)
				}
				vals[k] = f
				*targets[k] = &vals[k]
				return ok && once(seen, uint(2+k))
			}
		}
		return false
	})
}

// record reads a record document into g.
func (p *recordParser) record(g *Grade) bool {
	return p.object(func(key []byte, seen *uint16) bool {
		var ok bool
		switch string(key) {
		case "standard":
			g.Standard, ok = p.str()
			return ok && once(seen, 0)
		case "qualityGroup":
			g.QualityGroup, ok = p.str()
			return ok && once(seen, 1)
		case "qualityGroupName":
			return p.text(&g.QualityGroupName) && once(seen, 2)
		case "metrics":
			return p.metrics(&g.Metrics) && once(seen, 3)
		case "borderline":
			g.Borderline, ok = p.boolean()
			return ok && once(seen, 4)
		case "alternatives":
			g.Alternatives, ok = p.strings()
			return ok && once(seen, 5)
		case "explanation":
			return p.text(&g.Explanation) && once(seen, 6)
		}
		return false
	})
}
