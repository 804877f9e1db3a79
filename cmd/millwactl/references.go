package main

// This file checks an import's rows against the server before anything is
// sent: the codes and names of the standard, and the members and
// classifiers, named by id, resource name or DNI.

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// people are an association's members or classifiers: the set of their
// resource names, and the resource name of each DNI.
type people struct {
	names map[string]bool
	byDNI map[string]string
}

// resolve returns the resource name a row's value stands for: name itself,
// or for a DNI put in the id's place (resourceName), the person with that
// DNI. ok is false when no such person is registered.
func (p people) resolve(name string) (resolved, dni string, ok bool) {
	id := name[strings.LastIndex(name, "/")+1:]
	if isDNI(id) {
		resolved, ok = p.byDNI[id]
		return resolved, id, ok
	}
	return name, "", p.names[name]
}

// checkReferences checks the codes, classifiers and members the rows name
// against the server, adding an error for each row that names one the
// association or its standard does not have. It puts in each lot the code
// of a colour or quality group named by its Spanish or English name, and
// the resource name of a member or classifier named by DNI. The members
// and classifiers are listed once per import.
func (im *importer) checkReferences(ctx context.Context, f *csvFile) error {
	members, err := im.listPeople(ctx, im.lang.sprintf("listing the members of %s", im.parent), func(ctx context.Context, token string) ([][2]string, string, error) {
		resp, err := im.registry.ListMembers(ctx, &millwav1.ListMembersRequest{Parent: im.parent, PageSize: 500, PageToken: token})
		out := make([][2]string, 0, len(resp.GetMembers()))
		for _, m := range resp.GetMembers() {
			out = append(out, [2]string{m.GetName(), m.GetDni()})
		}
		return out, resp.GetNextPageToken(), err
	})
	if err != nil {
		return err
	}
	classifiers, err := im.listPeople(ctx, im.lang.sprintf("listing the classifiers of %s", im.parent), func(ctx context.Context, token string) ([][2]string, string, error) {
		resp, err := im.registry.ListClassifiers(ctx, &millwav1.ListClassifiersRequest{Parent: im.parent, PageSize: 500, PageToken: token})
		out := make([][2]string, 0, len(resp.GetClassifiers()))
		for _, c := range resp.GetClassifiers() {
			out = append(out, [2]string{c.GetName(), c.GetDni()})
		}
		return out, resp.GetNextPageToken(), err
	})
	if err != nil {
		return err
	}
	standards := map[string]*millwav1.Standard{}
	for i := range f.rows {
		r := &f.rows[i]
		if r.lot == nil {
			continue
		}
		st := r.lot.GetStandard()
		if st == "" {
			st = "standards/" + defaultStandard
		}
		s, seen := standards[st]
		if !seen {
			err := im.call(ctx, im.lang.sprintf("reading %s", st), func(ctx context.Context) error {
				resp, err := im.grading.GetStandard(ctx, &millwav1.GetStandardRequest{Name: st})
				s = resp.GetStandard()
				return err
			})
			if err != nil && status.Code(err) != codes.NotFound && status.Code(err) != codes.InvalidArgument {
				return err
			}
			standards[st] = s
		}
		im.checkRow(f, r, st, s, members, classifiers)
	}
	return nil
}

// checkRow checks one row against its standard s (nil when the server has
// none named st) and the association's people.
func (im *importer) checkRow(f *csvFile, r *lotRow, st string, s *millwav1.Standard, members, classifiers people) {
	fail := func(col, format string, args ...any) {
		label, idx := columnAt(f.header, col)
		f.errs = append(f.errs, lineError{line: r.line, column: label, colIndex: idx, msg: im.lang.sprintf(format, args...)})
	}
	if s == nil {
		fail("standard", "%s is not a standard of the server", st)
		return
	}
	if len(s.GetQualityGroups()) == 0 {
		fail("standard", "%s has no quality groups: lots are classified against a standard such as %s", st, defaultStandard)
		return
	}
	breeds := codesOf(s.GetBreeds(), (*millwav1.AlpacaBreed).GetCode)
	colourNames := codeNames(s.GetColours(), (*millwav1.FiberColour).GetCode, (*millwav1.FiberColour).GetName, (*millwav1.FiberColour).GetAbbreviation)
	groupList := s.GetQualityGroups()
	if sg := s.GetShortFiberGroup(); sg != nil {
		groupList = append(slices.Clip(groupList), sg)
	}
	groupNames := codeNames(groupList, (*millwav1.QualityGroup).GetCode, (*millwav1.QualityGroup).GetName, (*millwav1.QualityGroup).GetAbbreviation)
	l := r.lot
	if !slices.Contains(breeds, l.GetBreed()) {
		fail("breed", "%s is not a breed of %s: %s", l.GetBreed(), s.GetStandardId(), strings.Join(breeds, ", "))
	}
	if c, ok := colourNames[l.GetColour()]; ok {
		l.Colour = c
	} else {
		fail("colour", "%s is not a colour of %s: %s", l.GetColour(), s.GetStandardId(), describeCodes(im.lang, s.GetColours(), (*millwav1.FiberColour).GetCode, (*millwav1.FiberColour).GetName))
	}
	if g, ok := groupNames[l.GetDeclaredQualityGroup()]; ok {
		l.DeclaredQualityGroup = g
	} else {
		fail("declared_quality_group", "%s is not a quality group of %s: %s", l.GetDeclaredQualityGroup(), s.GetStandardId(), describeCodes(im.lang, groupList, (*millwav1.QualityGroup).GetCode, (*millwav1.QualityGroup).GetName))
	}
	switch name, dni, ok := classifiers.resolve(l.GetClassifier()); {
	case ok:
		l.Classifier = name
	case dni != "":
		fail("classifier", "no classifier of %s has DNI %s: register them first, or check the number", im.parent, dni)
	default:
		fail("classifier", "%s is not a classifier of %s: register them first", l.GetClassifier(), im.parent)
	}
	seen := map[string]int{}
	for j, c := range l.GetContributions() {
		col := r.cols.contributions[j][0]
		name, dni, ok := members.resolve(c.GetMember())
		switch {
		case !ok && dni != "":
			fail(col, "no member of %s has DNI %s: register them first, or check the number", im.parent, dni)
			continue
		case !ok:
			fail(col, "%s is not a member of %s: register them first", c.GetMember(), im.parent)
			continue
		}
		if prev, dup := seen[name]; dup {
			fail(col, "names the same member as %s: add their grams into one contribution", r.cols.contributions[prev][0])
		}
		seen[name] = j
		c.Member = name
	}
}

// describeCodes lists a standard's codes with their names in l, for
// example "WHITE (Blanco), LIGHT_FAWN (Beige claro)".
func describeCodes[T any](l language, items []T, code func(T) string, name func(T) *millwav1.LocalizedText) string {
	out := make([]string, len(items))
	for i, it := range items {
		n := name(it).GetEs()
		if l == english {
			n = name(it).GetEn()
		}
		out[i] = code(it)
		if n != "" {
			out[i] += " (" + n + ")"
		}
	}
	return strings.Join(out, ", ")
}

func codesOf[T any](items []T, code func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = code(it)
	}
	return out
}

// listPeople reads every page of a list of people (resource name and DNI
// of each).
func (im *importer) listPeople(ctx context.Context, what string, page func(ctx context.Context, token string) ([][2]string, string, error)) (people, error) {
	p := people{names: map[string]bool{}, byDNI: map[string]string{}}
	token := ""
	for {
		var items [][2]string
		next := ""
		err := im.call(ctx, what, func(ctx context.Context) (err error) {
			items, next, err = page(ctx, token)
			return err
		})
		if err != nil {
			return people{}, err
		}
		for _, it := range items {
			p.names[it[0]] = true
			if it[1] != "" {
				p.byDNI[it[1]] = it[0]
			}
		}
		if next == "" {
			return p, nil
		}
		token = next
	}
}
