package desktop

import (
	"strings"

	"github.com/c2c-uploader/c2c-uploader/core"
)

// model is what the window shows, as the presenter last applied it. Only Fyne's
// goroutine touches it.
type model struct {
	auth    core.AuthStatus
	conn    core.Connection
	pairing core.Pairing
	totals  core.Totals

	files map[core.FileID]*core.FileView
	order []core.FileID // every file, in the order it was added
	index map[core.FileID]int
	// counts are how many files stand in each group, for the filter chips; refused and
	// failed the bytes that will not arrive without the person (see trouble), for the
	// footer bar's ends.
	counts          [groups]int
	refused, failed int64
	// runOrder is the category order of the settings: each batch lists its files in the
	// order the queue takes them.
	runOrder core.CategoryOrder

	// holes is set while removed files still hold their place in order (see compact).
	holes bool

	// rows are what the list shows (see arrange): each batch's header and its files; row
	// and headerRow are their places there.
	rows      []listRow
	row       map[core.FileID]int
	headerRow map[int64]int  // by batch key
	collapsed map[int64]bool // by batch key: the person folded the batch away
	rowsStale bool           // files came, went or changed group, or the filter, search or folding changed
	filter    listFilter
	words     []string // the search, lower case
	// haystack is each file's name and path in lower case, for the search: made once,
	// not at every keystroke for every file.
	haystack map[core.FileID]string
	sel      selection

	// channelPaused is set when files were refused for a channel pause, until a file is
	// accepted again or the refused files leave the list: the banner says so.
	channelPaused bool
}

func newModel() *model {
	return &model{
		files: map[core.FileID]*core.FileView{}, index: map[core.FileID]int{},
		row: map[core.FileID]int{}, headerRow: map[int64]int{}, haystack: map[core.FileID]string{},
		collapsed: map[int64]bool{},
	}
}

// setFile stores a file's view; it reports whether the file is new to the list.
func (m *model) setFile(v core.FileView) (added bool) {
	g := groupOf(v.State)
	if cur, ok := m.files[v.ID]; ok {
		m.addTrouble(*cur, -1)
		m.addTrouble(v, 1)
		if was := groupOf(cur.State); was != g {
			m.counts[was]--
			m.counts[g]++
			m.rowsStale = true
		}
		if cur.RunKey() != v.RunKey() {
			m.rowsStale = true // moved (or its time of shooting known better): its place changed
		}
		*cur = v
		return false
	}
	cp := v
	m.files[v.ID] = &cp
	m.index[v.ID] = len(m.order)
	m.order = append(m.order, v.ID)
	m.haystack[v.ID] = strings.ToLower(v.Name + "\x00" + v.Path)
	m.counts[g]++
	m.addTrouble(v, 1)
	m.rowsStale = true
	return true
}

// addTrouble counts (sign 1) or uncounts (-1) a file's bytes that will not arrive.
func (m *model) addTrouble(v core.FileView, sign int64) {
	refused, failed := trouble(v)
	m.refused += sign * refused
	m.failed += sign * failed
}

// trouble is a file's bytes that will not arrive without the person: refused by the
// project or held for another, or failed.
func trouble(v core.FileView) (refused, failed int64) {
	switch v.State {
	case core.Skipped, core.Held:
		return v.Size, 0
	case core.Failed:
		return 0, v.Size
	}
	return 0, 0
}

// removeFile takes a file off the list; compact closes the gap. It reports whether the
// file was listed.
func (m *model) removeFile(id core.FileID) bool {
	v, ok := m.files[id]
	if !ok {
		return false
	}
	m.counts[groupOf(v.State)]--
	m.addTrouble(*v, -1)
	delete(m.sel.ids, id)
	delete(m.haystack, id)
	delete(m.files, id)
	delete(m.index, id)
	m.holes = true
	m.rowsStale = true
	return true
}

// compact drops removed files from the order, in one pass for a whole batch (closing
// each gap at once made "Clear finished" on 10,000 files quadratic: 0.4 s on the UI
// goroutine, seconds under the race detector). A file listed again after its removal
// keeps its last place.
func (m *model) compact() {
	if !m.holes {
		return
	}
	m.holes = false
	kept := m.order[:0]
	for i, id := range m.order {
		if j, ok := m.index[id]; ok && j == i {
			m.index[id] = len(kept)
			kept = append(kept, id)
		}
	}
	clear(m.order[len(kept):])
	m.order = kept
}

// fileAt is the file on row i of the list (as last arranged); nil for a batch's header.
func (m *model) fileAt(i int) *core.FileView {
	if i < 0 || i >= len(m.rows) || m.rows[i].file == 0 {
		return nil
	}
	return m.files[m.rows[i].file]
}
