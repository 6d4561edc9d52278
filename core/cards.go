package core

import (
	"context"
	"fmt"

	"github.com/c2c-uploader/c2c-uploader/core/ingest"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// EventCard (Card): a camera card was mounted (with what it holds, and whether it is
// being uploaded) or removed.
const EventCard EventType = "card"

// CardRemovedKind is the error kind of a file paused because its card was removed: it
// goes on when the card is back.
const CardRemovedKind = upload.CardRemovedKind

// CardEvent is a camera card mounted or removed.
type CardEvent struct {
	Path   string // where it is mounted
	Layout string // the camera's layout, for a person: "Sony XAVC (PRIVATE/M4ROOT)"
	// Removed: the card went; its files that were not finished wait for it.
	Removed bool
	// Survey is what the card holds, as adding it would queue it (mounted only).
	Survey *CardSurvey
	// Added is how many of its files were queued at once (the cards setting is always).
	Added int
	// Problem, when the card could not be looked through or queued, is one sentence.
	Problem string
}

// CardSurvey is what a card holds, as adding it would queue it.
type CardSurvey = upload.Survey

// CardRemoved pauses the files read from below path (a card's mount point) that are not
// finished, and those that failed unreadable, saying "card removed" (a running one is
// stopped; its finished chunks are kept).
func (s *Service) CardRemoved(ctx context.Context, path string) error {
	return s.engine.CardRemoved(path)
}

// CardBack queues again the files read from below path that wait for their card.
func (s *Service) CardBack(ctx context.Context, path string) error {
	return s.engine.CardBack(path)
}

// SurveyCard looks through path as an add of it would, without queueing anything.
func (s *Service) SurveyCard(ctx context.Context, path string) (CardSurvey, error) {
	return s.engine.Survey(ctx, path)
}

// runCards follows the volumes mounted under the system's mount folders and the
// card-roots setting's until ctx ends (Run, when Config.WatchCards): a camera card
// mounted has its waiting files queued again and is offered (an EventCard with what it
// holds), or queued whole when the cards setting says always; one removed pauses its
// files.
func (s *Service) runCards(ctx context.Context) {
	c := ingest.NewCards(ingest.CardsConfig{
		Roots: func() []string {
			return append(ingest.DefaultMountRoots(), s.Settings().CardRootFolders()...)
		},
		Inserted: func(card ingest.Card) { s.cardInserted(ctx, card) },
		Removed:  func(card ingest.Card) { s.cardGone(card) },
		Logger:   s.cfg.Logger,
	})
	_ = c.Run(ctx)
}

func (s *Service) cardInserted(ctx context.Context, card ingest.Card) {
	s.cfg.Logger.Info("a camera card was mounted", "path", card.Path, "layout", card.Layout)
	if err := s.engine.CardBack(card.Path); err != nil {
		s.cfg.Logger.Warn("the files waiting for a card could not be queued again", "path", card.Path, "err", err)
	}
	mode := s.Settings().Cards
	if mode == CardsNever {
		return
	}
	// Looking through a card of thousands of files takes a while: the watcher goes on
	// meanwhile (a card pulled out again is still seen).
	go func() {
		ev := CardEvent{Path: card.Path, Layout: card.Layout}
		sv, err := s.engine.Survey(ctx, card.Path)
		if err != nil {
			ev.Problem = fmt.Sprintf("The card at %s could not be looked through: %v.", card.Path, err)
			s.cfg.Logger.Warn("a camera card could not be looked through", "path", card.Path, "err", err)
		} else {
			ev.Survey = &sv
		}
		if err == nil && mode == CardsAlways && sv.Files > sv.Known {
			res, err := s.engine.Add(ctx, []string{card.Path}, upload.AddOptions{})
			ev.Added = len(res.Added) + len(res.Again)
			if err != nil {
				ev.Problem = fmt.Sprintf("The card at %s could not be queued: %v.", card.Path, err)
				s.cfg.Logger.Warn("a camera card could not be queued", "path", card.Path, "err", err)
			} else {
				s.cfg.Logger.Info("a camera card was queued", "path", card.Path, "files", ev.Added)
			}
		}
		if ctx.Err() == nil {
			s.bus.publish(Event{Type: EventCard, Card: &ev})
		}
	}()
}

func (s *Service) cardGone(card ingest.Card) {
	s.cfg.Logger.Info("a camera card was removed", "path", card.Path)
	if err := s.engine.CardRemoved(card.Path); err != nil {
		s.cfg.Logger.Warn("the files of a card removed could not be paused", "path", card.Path, "err", err)
	}
	s.bus.publish(Event{Type: EventCard, Card: &CardEvent{Path: card.Path, Layout: card.Layout, Removed: true}})
}
