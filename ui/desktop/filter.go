package desktop

import (
	"slices"
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// group is where a file stands for the filter chips: still on its way, waiting for the
// person (the footer's "need attention": failed, refused by the project, held for
// another), arrived, or cancelled by the person (listed under All only).
type group int

const (
	groupActive group = iota
	groupAttention
	groupDone
	groupCancelled
	groups
)

func groupOf(s core.State) group {
	switch s {
	case core.Failed, core.Skipped, core.Held:
		return groupAttention
	case core.Done:
		return groupDone
	case core.Cancelled:
		return groupCancelled
	}
	return groupActive
}

// listFilter is the chip the person picked.
type listFilter int

const (
	filterAll listFilter = iota
	filterActive
	filterAttention
	filterDone
)

// filters are the chips in their order on screen, with their words.
var filters = []struct {
	f     listFilter
	label string
	empty string // what the list says when no file is in it
}{
	{filterAll, "All", "No files."},
	{filterActive, "In progress", "Nothing is uploading or waiting to."},
	{filterAttention, "Needs attention", "Nothing needs attention."},
	{filterDone, "Done", "No file has arrived yet."},
}

// group is the group of files a chip shows; ok is false for All.
func (f listFilter) group() (g group, ok bool) {
	switch f {
	case filterActive:
		return groupActive, true
	case filterAttention:
		return groupAttention, true
	case filterDone:
		return groupDone, true
	}
	return 0, false
}

// admits reports whether the filter lists a file of group g.
func (f listFilter) admits(g group) bool {
	fg, ok := f.group()
	return !ok || g == fg
}

// count is how many listed files the chip of f stands for.
func (m *model) count(f listFilter) int {
	if g, ok := f.group(); ok {
		return m.counts[g]
	}
	return len(m.files)
}

// matches reports whether a file's name or folder (haystack: both in lower case)
// contains every search word.
func matches(haystack string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(haystack, w) {
			return false
		}
	}
	return true
}

// setFilter picks a chip; setQuery the search words. Both rearrange the rows.
func (m *model) setFilter(f listFilter) {
	if m.filter != f {
		m.filter = f
		m.rowsStale = true
	}
}

func (m *model) setQuery(q string) {
	words := strings.Fields(strings.ToLower(q))
	if strings.Join(words, " ") != strings.Join(m.words, " ") {
		m.words = words
		m.rowsStale = true
	}
}

// arrange lays out the rows again if files came, went, changed group, or the filter,
// search or folding changed: batch by batch in the order they were added, a header and
// the batch's files that the filter and search let through — those that need attention
// first, then the others as added. A batch none of whose files pass is left out; a
// folded one shows its header only. It reports whether it arranged anew.
func (m *model) arrange() bool {
	m.compact()
	if !m.rowsStale {
		return false
	}
	m.rowsStale = false
	clear(m.row)
	clear(m.headerRow)
	m.rows = m.rows[:0]
	for _, b := range groupBatches(m.order, m.files) {
		// In the order the queue takes them, whatever their state: rows do not jump as
		// files start and finish, only when the person moves one.
		sortByRun(b.ids, m.files, m.runOrder)
		header := len(m.rows)
		m.rows = append(m.rows, listRow{batch: b})
		passed := 0
		for _, first := range []bool{true, false} {
			for _, id := range b.ids {
				v := m.files[id]
				g := groupOf(v.State)
				if (g == groupAttention) != first || !m.filter.admits(g) || (len(m.words) > 0 && !matches(m.haystack[id], m.words)) {
					continue
				}
				passed++
				if !m.collapsed[b.key] {
					m.row[id] = len(m.rows)
					m.rows = append(m.rows, listRow{batch: b, file: id})
				}
			}
		}
		if passed == 0 {
			m.rows = m.rows[:header]
			continue
		}
		m.headerRow[b.key] = header
	}
	return true
}

// sortByRun puts ids in the order the queue takes their files, whatever their state; the
// keys are made once, not at each of the sort's comparisons.
func sortByRun(ids []core.FileID, files map[core.FileID]*core.FileView, order core.CategoryOrder) {
	keys := make([]core.RunKey, len(ids))
	for i, id := range ids {
		keys[i] = files[id].RunKey()
	}
	slices.SortFunc(keys, func(a, b core.RunKey) int { return a.Compare(order, &b) })
	for i := range keys {
		ids[i] = keys[i].ID
	}
}

// fold folds a batch away or opens it again.
func (m *model) fold(b *batch) {
	m.collapsed[b.key] = !m.collapsed[b.key]
	m.rowsStale = true
}
