package journal_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/c2c-uploader/c2c-uploader/store/journal"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "c2c-example-")
	if err != nil {
		return
	}
	defer os.RemoveAll(dir)

	j, err := journal.Open(context.Background(), filepath.Join(dir, "journal.db"))
	var moved *journal.MovedAsideError
	switch {
	case errors.As(err, &moved):
		// j works; tell the user once, then carry on with an empty queue.
		fmt.Println("The upload history was damaged and was moved to", moved.MovedTo)
	case err != nil:
		fmt.Println(err) // names the file; nothing was moved
		return
	}
	defer j.Close()

	recs, err := j.Load(context.Background())
	fmt.Println(len(recs), err)
	// Output: 0 <nil>
}
