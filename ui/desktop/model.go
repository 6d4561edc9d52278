package desktop

import (
	"github.com/c2c-uploader/c2c-uploader/core/auth"
	"github.com/c2c-uploader/c2c-uploader/core/conn"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// model is what the window shows, as the presenter last applied it. Only Fyne's
// goroutine touches it.
type model struct {
	auth    auth.Status
	conn    conn.Status
	pairing auth.Pairing
	totals  upload.Totals

	files map[upload.FileID]*upload.FileView
	order []upload.FileID
	index map[upload.FileID]int

	// channelPaused is set when files were refused for a channel pause, until a file is
	// accepted again: the banner says the device is paused in the project.
	channelPaused bool
}

func newModel() *model {
	return &model{files: map[upload.FileID]*upload.FileView{}, index: map[upload.FileID]int{}}
}

// setFile stores a file's view; it reports whether the file is new to the list.
func (m *model) setFile(v upload.FileView) (added bool) {
	if cur, ok := m.files[v.ID]; ok {
		*cur = v
		return false
	}
	cp := v
	m.files[v.ID] = &cp
	m.index[v.ID] = len(m.order)
	m.order = append(m.order, v.ID)
	return true
}

func (m *model) removeFile(id upload.FileID) bool {
	i, ok := m.index[id]
	if !ok {
		return false
	}
	delete(m.files, id)
	delete(m.index, id)
	m.order = append(m.order[:i], m.order[i+1:]...)
	for j := i; j < len(m.order); j++ {
		m.index[m.order[j]] = j
	}
	return true
}

func (m *model) fileAt(i int) *upload.FileView {
	if i < 0 || i >= len(m.order) {
		return nil
	}
	return m.files[m.order[i]]
}
