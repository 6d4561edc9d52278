package desktop

import (
	"github.com/c2c-uploader/c2c-uploader/core"
	"slices"
	"testing"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

func modelWith(ids ...upload.FileID) *model {
	m := newModel()
	for _, id := range ids {
		m.setFile(core.FileView{ID: id, Name: "f"})
	}
	return m
}

func checkModel(t *testing.T, m *model, want ...upload.FileID) {
	t.Helper()
	if !slices.Equal(m.order, want) {
		t.Fatalf("order %v, want %v", m.order, want)
	}
	if len(m.files) != len(want) || len(m.index) != len(want) {
		t.Errorf("%d files and %d index entries for %d rows", len(m.files), len(m.index), len(want))
	}
	// One batch (the files share their added time): its header, then its files in the
	// order the queue takes them.
	rows := slices.Clone(want)
	slices.SortFunc(rows, func(a, b upload.FileID) int {
		ka, kb := m.files[a].RunKey(), m.files[b].RunKey()
		return ka.Compare(m.runOrder, &kb)
	})
	for i, id := range rows {
		if m.fileAt(i+1) == nil || m.fileAt(i+1).ID != id {
			t.Errorf("row %d: fileAt %+v, want file %d", i+1, m.fileAt(i+1), id)
		}
	}
	for i, id := range want {
		if m.index[id] != i {
			t.Errorf("file %d: index %d, want %d", id, m.index[id], i)
		}
	}
	if m.fileAt(0) != nil || m.fileAt(len(want)+1) != nil || m.fileAt(-1) != nil {
		t.Error("fileAt answers for a header or outside the list")
	}
}

// Removals in a batch are closed up in one pass, with the order of what is left kept.
func TestModelRemovalsCompactOnce(t *testing.T) {
	m := modelWith(1, 2, 3, 4, 5)
	if !m.removeFile(2) || !m.removeFile(4) || m.removeFile(9) || m.removeFile(2) {
		t.Fatal("removeFile reports wrongly what was listed")
	}
	if m.setFile(core.FileView{ID: 3, Name: "g"}) {
		t.Error("an update of a listed file counts as new")
	}
	if !m.setFile(core.FileView{ID: 6}) {
		t.Error("a new file counts as known")
	}
	m.arrange()
	checkModel(t, m, 1, 3, 5, 6)
	if m.fileAt(m.row[3]).Name != "g" {
		t.Error("the update was lost")
	}
	m.arrange() // nothing to do
	checkModel(t, m, 1, 3, 5, 6)
}

// A file listed again after its removal in the same batch takes the last place, once.
func TestModelRemovedThenListedAgain(t *testing.T) {
	m := modelWith(1, 2, 3)
	m.removeFile(1)
	if !m.setFile(core.FileView{ID: 1}) {
		t.Error("a file listed again after its removal does not count as new")
	}
	m.removeFile(3)
	m.arrange()
	checkModel(t, m, 2, 1)
	m.removeFile(2)
	m.removeFile(1)
	m.arrange()
	checkModel(t, m)
}
