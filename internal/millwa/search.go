package millwa

import (
	"strings"
	"unicode/utf8"
)

// Text search of List calls: a search string is cut into words at white
// space, and an item matches when every word is part of one of its texts
// (a member's name or DNI, a lot's number), compared folded: upper case
// to lower case, accented Latin letters to their base letter, combining
// accents dropped. "huaman" finds "Huamán", "nunez" finds "NÚÑEZ".
//
// Folding maps one character to one character (or to none), so that
// PostgreSQL's translate() folds a column exactly as Fold folds a word,
// with the same two strings, and SQLite calls Fold itself: both databases
// find the same items.

// FoldFrom and FoldTo are the folding table: the i-th character of
// FoldFrom becomes the i-th of FoldTo, and the characters of FoldFrom past
// the length of FoldTo (combining accents) are dropped. They are
// translate()'s second and third arguments on PostgreSQL.
const (
	FoldFrom = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" +
		"ÀÁÂÃÄÅàáâãäåĀāĂăĄą" +
		"ÈÉÊËèéêëĒēĖėĘęĚě" +
		"ÌÍÎÏìíîïĪīĮį" +
		"ÒÓÔÕÖØòóôõöøŌōŐő" +
		"ÙÚÛÜùúûüŪūŮůŰű" +
		"ÝŸýÿ" +
		"ÑñŃńŇň" +
		"ÇçĆćČč" +
		"ŠšŽžŘř" +
		"\u0300\u0301\u0302\u0303\u0308\u030a\u030c\u0327"
	FoldTo = "abcdefghijklmnopqrstuvwxyz" +
		"aaaaaaaaaaaaaaaaaa" +
		"eeeeeeeeeeeeeeee" +
		"iiiiiiiiiiii" +
		"oooooooooooooooo" +
		"uuuuuuuuuuuuuu" +
		"yyyy" +
		"nnnnnn" +
		"cccccc" +
		"sszzrr"
)

// foldTable maps each character of FoldFrom to its folded form, -1 for
// one that is dropped.
var foldTable = func() map[rune]rune {
	from, to := []rune(FoldFrom), []rune(FoldTo)
	t := make(map[rune]rune, len(from))
	for i, r := range from {
		if i < len(to) {
			t[r] = to[i]
		} else {
			t[r] = -1
		}
	}
	return t
}()

// Fold returns s folded for search: every character of FoldFrom replaced
// by its counterpart in FoldTo or dropped, every other one kept.
func Fold(s string) string {
	return strings.Map(func(r rune) rune {
		if f, ok := foldTable[r]; ok {
			return f
		}
		return r
	}, s)
}

// Limits on a search string.
const (
	MaxSearchLen   = 100 // characters
	MaxSearchWords = 8
)

// ParseSearch returns the folded words of a List request's search string,
// none for an empty one. Errors are Invalid and name the field "search".
func ParseSearch(search string) ([]string, error) {
	var vs Violations
	CheckText(&vs, "search", search)
	if err := vs.Err(); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(search); n > MaxSearchLen {
		vs.Add("search", "has %d characters, over the limit of %d: search by a name, a DNI or a lot number", n, MaxSearchLen)
		return nil, vs.Err()
	}
	words := strings.Fields(Fold(search))
	if len(words) == 0 {
		return nil, nil
	}
	if len(words) > MaxSearchWords {
		vs.Add("search", "has %d words, over the limit of %d", len(words), MaxSearchWords)
		return nil, vs.Err()
	}
	return words, nil
}
