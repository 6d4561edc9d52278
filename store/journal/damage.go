package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Damage is a damaged journal that was moved aside: kept in a notice beside the journal
// until the person says they have read it, so that every command says so, not only the
// one that found it.
type Damage struct {
	At      time.Time `json:"at"`
	MovedTo string    `json:"moved_to"`
	Cause   string    `json:"cause"`
	// Recovered is how many finished uploads the record of uploads brought back: they
	// are known to be uploaded and are not sent again.
	Recovered int `json:"recovered"`
}

// Message says what happened in words for a person.
func (d Damage) Message() string {
	msg := fmt.Sprintf("The upload history was damaged (found %s) and was moved to %s; the queue started empty.",
		d.At.Local().Format("2 Jan 2006 15:04"), d.MovedTo)
	switch d.Recovered {
	case 0:
		msg += " No finished upload was on record to bring back."
	case 1:
		msg += " 1 finished upload was brought back from the record of uploads and will not be sent again."
	default:
		msg += fmt.Sprintf(" %d finished uploads were brought back from the record of uploads and will not be sent again.", d.Recovered)
	}
	return msg + " Files that were still queued must be added again."
}

// damageNotice is the notice's file for the journal at path.
func damageNotice(path string) string { return path + ".damaged.json" }

// Damages are the notices of the journal at path not yet acknowledged, oldest first.
func Damages(path string) ([]Damage, error) {
	b, err := os.ReadFile(damageNotice(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the damage notice: %w", err)
	}
	var ds []Damage
	if err := json.Unmarshal(b, &ds); err != nil {
		return nil, fmt.Errorf("the damage notice %s cannot be read: %w", damageNotice(path), err)
	}
	return ds, nil
}

// AcknowledgeDamage removes the notices of the journal at path: the person has read them.
func AcknowledgeDamage(path string) error {
	err := os.Remove(damageNotice(path))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func addDamage(path string, d Damage) error {
	ds, err := Damages(path)
	if err != nil {
		ds = nil // an unreadable notice is replaced by one that says what happened now
	}
	b, err := json.MarshalIndent(append(ds, d), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(damageNotice(path), b, 0o600)
}
