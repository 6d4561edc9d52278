package upload

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SetProject tells the engine which project the device is paired with now. When it
// changes, files meant for another project that still need an asset are held (and the
// person asked once, by an AlertOtherProject), and held files meant for this one go on.
func (e *Engine) SetProject(p Project) {
	e.send(func(o *owner) {
		if p == o.project {
			return
		}
		o.project = p
		o.reassign = p.ID != ""
		o.kick = true
	})
}

// otherProjectError stops a file from getting an asset in a project it is not meant for.
type otherProjectError struct {
	meant, paired Project
}

func (o *otherProjectError) Error() string {
	return fmt.Sprintf("meant for the project %s; the device is now paired with %s", describeProject(o.meant), describeProject(o.paired))
}

func describeProject(p Project) string {
	if p.Name == "" {
		return "with id " + p.ID
	}
	return "“" + p.Name + "”"
}

// heldReason is what a held file says.
func heldReason(f *File, paired Project) string {
	return fmt.Sprintf("Queued for %s; this computer is now paired with %s. Send it to %s, or pair with %s again.",
		describeProject(Project{f.ProjectID, f.ProjectName}), describeProject(paired),
		describeProject(paired), describeProject(Project{f.ProjectID, f.ProjectName}))
}

// heldKind is the ErrorKind of a held file.
const heldKind = "OtherProject"

// holdOthers looks the queue over after the project changed: files meant for another
// project that would need a new asset are held; held files meant for this one go on.
// Files with an asset keep it: their chunks go to presigned URLs of their own project.
// A write the disk refuses is tried again when the queue is next looked at.
func (o *owner) holdOthers() {
	if !o.reassign {
		return
	}
	paired := o.project
	var hold, release []*entry
	for _, id := range o.order {
		ent := o.files[id]
		if ent == nil || ent.att != nil {
			continue
		}
		f := &ent.f
		switch {
		case f.State == Held && f.ProjectID == paired.ID:
			release = append(release, ent)
		case (f.State == Queued || f.State == Retrying) && f.AssetID == "" && f.ProjectID != "" && f.ProjectID != paired.ID:
			hold = append(hold, ent)
		}
	}
	err := errors.Join(
		o.setStates(hold, func(f *File) {
			f.State, f.ErrorKind, f.ErrorMessage = Held, heldKind, heldReason(f, paired)
			f.NextAttempt = time.Time{}
		}),
		o.setStates(release, func(f *File) {
			f.State, f.ErrorKind, f.ErrorMessage, f.Attempts = Queued, "", "", 0
		}))
	if err != nil {
		o.e.cfg.Logger.Error("holding files meant for another project", "err", err)
		return
	}
	o.reassign = false
	if len(hold) > 0 {
		names := make([]string, len(hold))
		for i, ent := range hold {
			names[i] = ent.f.Name
		}
		o.alert(heldAlert(names, paired))
	}
}

func heldAlert(names []string, paired Project) *Alert {
	return &Alert{
		Kind: AlertOtherProject,
		Message: fmt.Sprintf("This computer is now paired with %s. Files queued for another project are held: send them to %s, or keep them until this computer is paired with their project again.",
			describeProject(paired), describeProject(paired)),
		Files: names,
	}
}

// Redirect sends held files to the project the device is paired with now.
func (e *Engine) Redirect(ctx context.Context, s Selector) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	return e.askErr(func(o *owner) error {
		paired := o.project
		if paired.ID == "" {
			return errors.New("the project this computer is paired with is not known yet; try again once it is connected")
		}
		return o.changeAtRest(s, Held, func(f *File) {
			f.ProjectID, f.ProjectName = paired.ID, paired.Name
			f.State, f.ErrorKind, f.ErrorMessage, f.Attempts = Queued, "", "", 0
		})
	})
}

// UploadAnyway sends files the project refused for a channel pause as new media: dated
// by their arrival (offset 0) instead of when they were shot, which fell in the pause.
// The project files them at the time they arrive. Other files are left as they are.
func (e *Engine) UploadAnyway(ctx context.Context, s Selector) error {
	if e.cfg.ReadOnly {
		return errReadOnly
	}
	return e.askErr(func(o *owner) error {
		return o.changeAtRest(s, Skipped, func(f *File) {
			f.DatedOnArrival = true
			f.State, f.ErrorKind, f.ErrorMessage, f.Attempts = Queued, "", "", 0
		})
	})
}

// changeAtRest changes the selected files in state st that are not running, in one
// journal commit.
func (o *owner) changeAtRest(s Selector, st State, change func(*File)) error {
	ents, err := o.selected(s)
	if err != nil {
		return err
	}
	var picked []*entry
	for _, ent := range ents {
		if ent.f.State == st && ent.att == nil {
			picked = append(picked, ent)
		}
	}
	return o.setStates(picked, change)
}
