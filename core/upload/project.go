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
	e.mu.Lock()
	if p == e.project {
		e.mu.Unlock()
		return
	}
	e.project = p
	e.reassign = p.ID != ""
	e.mu.Unlock()
	e.poke()
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
func (e *Engine) holdOthers(ctx context.Context) {
	e.mu.Lock()
	if !e.reassign {
		e.mu.Unlock()
		return
	}
	e.reassign = false
	paired := e.project
	var hold, release []*entry
	for _, id := range e.order {
		ent := e.files[id]
		ent.mu.Lock()
		f, running := ent.f, ent.running
		ent.mu.Unlock()
		switch {
		case running:
		case f.State == Held && f.ProjectID == paired.ID:
			release = append(release, ent)
		case (f.State == Queued || f.State == Retrying) && f.AssetID == "" && f.ProjectID != "" && f.ProjectID != paired.ID:
			hold = append(hold, ent)
		}
	}
	e.mu.Unlock()
	var names []string
	for _, ent := range hold {
		err := e.transition(ctx, ent, func(f *File) {
			f.State, f.ErrorKind, f.ErrorMessage = Held, heldKind, heldReason(f, paired)
			f.NextAttempt = time.Time{}
		})
		if err == nil {
			names = append(names, ent.name())
		}
	}
	for _, ent := range release {
		_ = e.transition(ctx, ent, func(f *File) {
			f.State, f.ErrorKind, f.ErrorMessage, f.Attempts = Queued, "", "", 0
		})
	}
	if len(names) > 0 {
		e.alertHeld(names, paired)
	}
}

func (e *Engine) alertHeld(names []string, paired Project) {
	e.cfg.OnEvent(Event{Alert: &Alert{
		Kind: AlertOtherProject,
		Message: fmt.Sprintf("This computer is now paired with %s. Files queued for another project are held: send them to %s, or keep them until this computer is paired with their project again.",
			describeProject(paired), describeProject(paired)),
		Files: names,
	}})
}

// hold settles a file that met otherProjectError on its way to a new asset.
func (e *Engine) hold(ctx context.Context, ent *entry, o *otherProjectError) {
	if err := e.transition(ctx, ent, func(f *File) {
		f.State, f.ErrorKind, f.ErrorMessage = Held, heldKind, heldReason(f, o.paired)
	}); err == nil {
		e.alertHeld([]string{ent.name()}, o.paired)
	}
}

// Redirect sends held files to the project the device is paired with now.
func (e *Engine) Redirect(ctx context.Context, s Selector) error {
	e.mu.Lock()
	paired := e.project
	e.mu.Unlock()
	if paired.ID == "" {
		return errors.New("the project this computer is paired with is not known yet; try again once it is connected")
	}
	ents, err := e.selected(s)
	if err != nil {
		return err
	}
	var errs []error
	for _, ent := range ents {
		ent.mu.Lock()
		held := ent.f.State == Held && !ent.running
		ent.mu.Unlock()
		if !held {
			continue
		}
		errs = append(errs, e.transition(ctx, ent, func(f *File) {
			f.ProjectID, f.ProjectName = paired.ID, paired.Name
			f.State, f.ErrorKind, f.ErrorMessage, f.Attempts = Queued, "", "", 0
		}))
	}
	e.poke()
	return errors.Join(errs...)
}
