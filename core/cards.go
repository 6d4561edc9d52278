package core

import (
	"context"

	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// CardRemovedKind is the error kind of a file paused because its card was removed: it
// goes on when the card is back.
const CardRemovedKind = upload.CardRemovedKind

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

// CardSurvey is what a card holds, as adding it would queue it.
type CardSurvey = upload.Survey

// SurveyCard looks through path as an add of it would, without queueing anything.
func (s *Service) SurveyCard(ctx context.Context, path string) (CardSurvey, error) {
	return s.engine.Survey(ctx, path)
}
