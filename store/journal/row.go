package journal

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/c2c-uploader/c2c-uploader/core/hashes"
	"github.com/c2c-uploader/c2c-uploader/core/media"
	"github.com/c2c-uploader/c2c-uploader/core/upload"
)

// fileColumns are the columns of files but id, in the order fileArgs and scanFile use.
var fileColumns = []string{
	"path", "name", "size", "mtime_ns", "fingerprint", "filetype", "media_created_ns",
	"state", "asset_id", "upload_urls", "urls_fetched_ns", "chunk_size",
	"error_kind", "error_message", "request_id", "server_request_id",
	"attempts", "next_attempt_ns", "added_ns", "updated_ns", "done_ns",
	"project_id", "project_name", "dated_on_arrival", "category",
	"root", "hash_formats", "hashes", "hash_list", "offload_hash", "started_ns", "realtime",
}

// selectColumns are what a query reads for scanFile: id, fileColumns, queue_rank and
// receipted_ns, which only Insert (0), Reorder and Receipted write: an upload attempt
// writing its file's row must not undo a move the person made meanwhile.
var selectColumns = "id, " + strings.Join(fileColumns, ", ") + ", queue_rank, receipted_ns"

var (
	insertFileSQL = "INSERT INTO files (" + strings.Join(fileColumns, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(fileColumns)), ", ") + ")"
	updateFileSQL  = "UPDATE files SET " + strings.Join(fileColumns, " = ?, ") + " = ? WHERE id = ?"
	selectFilesSQL = "SELECT " + selectColumns + " FROM files WHERE hidden = 0 ORDER BY id"
	countFilesSQL  = "SELECT count(*) FROM files WHERE hidden = 0"
	// uploadedSQL lists the finished uploads of some paths (files_uploaded): it ends in
	// "path IN (", for the placeholders of a batch and ")".
	uploadedSQL = "SELECT " + selectColumns + " FROM files" +
		" WHERE state = 'done' AND path IN ("
	// clearedSQL lists the files cleared from the list that were added at some times:
	// it ends in "added_ns IN (", for the placeholders of a batch and ")".
	clearedSQL = "SELECT " + selectColumns + " FROM files WHERE hidden = 1 AND added_ns IN ("
	// unreceiptedClearedSQL lists the batches with a cleared file whose receipts are due
	// (files_unreceipted; a cleared file is done).
	unreceiptedClearedSQL = "SELECT DISTINCT added_ns FROM files WHERE " + unreceiptedCleared
	unreceiptedCleared    = "hidden = 1 AND root != x'' AND (receipted_ns = 0 OR done_ns > receipted_ns)"
)

// linksColumn is where upload_urls is in fileColumns.
var linksColumn = slices.Index(fileColumns, "upload_urls")

// updateFileKeepLinksSQL is updateFileSQL without upload_urls: for a file whose links
// could not be opened, so the row keeps the sealed ones.
var updateFileKeepLinksSQL = "UPDATE files SET " +
	strings.Join(slices.Delete(slices.Clone(fileColumns), linksColumn, linksColumn+1), " = ?, ") + " = ? WHERE id = ?"

// fileArgs are f's values for fileColumns, its links sealed. keepLinks: f's links are
// blanks (they could not be opened), and args leave upload_urls out
// (updateFileKeepLinksSQL).
func (j *Journal) fileArgs(ctx context.Context, f *upload.File) (args []any, keepLinks bool, err error) {
	urls, err := j.links.encode(ctx, f)
	switch {
	case errors.Is(err, errBlankLinks):
		keepLinks = true
	case err != nil:
		return nil, false, err
	}
	var times [7]int64
	for i, t := range []struct {
		name string
		t    time.Time
	}{
		{"mtime", f.ModTime}, {"media creation time", f.MediaCreated}, {"URLs' time", f.URLsFetchedAt},
		{"next attempt", f.NextAttempt}, {"added time", f.AddedAt}, {"updated time", f.UpdatedAt},
		{"start time", f.StartedAt},
	} {
		ns, err := toNS(t.t)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", t.name, err)
		}
		times[i] = ns
	}
	done, err := toNS(f.DoneAt)
	if err != nil {
		return nil, false, fmt.Errorf("done time: %w", err)
	}
	args = []any{
		[]byte(f.Path), f.Name, f.Size, times[0], f.Fingerprint, f.Filetype, times[1],
		string(f.State), f.AssetID, urls, times[2], f.ChunkSize,
		f.ErrorKind, f.ErrorMessage, f.RequestID, f.ServerRequestID,
		int64(f.Attempts), times[3], times[4], times[5], done,
		f.ProjectID, f.ProjectName, f.DatedOnArrival, string(f.Category),
		[]byte(f.Root), formatsText(f.HashFormats), f.Hashes.String(), []byte(f.HashList), offloadText(f.Offload), times[6],
		f.Realtime,
	}
	if keepLinks {
		args = slices.Delete(args, linksColumn, linksColumn+1)
	}
	return args, keepLinks, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanFile reads a row of selectFilesSQL. Sealed links come back as one blank per part,
// with their sealed form to open (Journal.openLinks).
func scanFile(r scanner) (upload.File, *storedLinks, error) {
	var (
		f                                              upload.File
		path                                           []byte
		state, urls, category                          string
		mtime, created, fetched, next, added, upd, don int64
		root, hashList                                 []byte
		formats, sums, offload                         string
		receipted, started                             int64
	)
	err := r.Scan(&f.ID, &path, &f.Name, &f.Size, &mtime, &f.Fingerprint, &f.Filetype, &created,
		&state, &f.AssetID, &urls, &fetched, &f.ChunkSize,
		&f.ErrorKind, &f.ErrorMessage, &f.RequestID, &f.ServerRequestID,
		&f.Attempts, &next, &added, &upd, &don, &f.ProjectID, &f.ProjectName, &f.DatedOnArrival, &category,
		&root, &formats, &sums, &hashList, &offload, &started, &f.Realtime, &f.Rank, &receipted)
	if err != nil {
		return f, nil, err
	}
	f.Root, f.HashList, f.Receipted, f.StartedAt = string(root), string(hashList), fromNS(receipted), fromNS(started)
	f.HashFormats, f.Hashes, f.Offload = parseFormats(formats), hashes.ParseSums(sums), parseOffload(offload)
	f.Path, f.State, f.Category = string(path), upload.State(state), media.Category(category)
	f.ModTime, f.MediaCreated, f.URLsFetchedAt = fromNS(mtime), fromNS(created), fromNS(fetched)
	f.NextAttempt, f.AddedAt, f.UpdatedAt, f.DoneAt = fromNS(next), fromNS(added), fromNS(upd), fromNS(don)
	var sealed *storedLinks
	if f.UploadURLs, sealed, err = decode(urls); err != nil {
		return f, nil, fmt.Errorf("file %d: %w", f.ID, err)
	}
	return f, sealed, nil
}

// The journal keeps times as UTC nanoseconds since 1970, 0 meaning the zero time, so they
// read back Equal to what was written (the monotonic reading is dropped). That covers the
// years 1678 to 2262; 1970-01-01T00:00:00Z itself reads back as the zero time.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func toNS(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("%s is outside the years 1678-2262 the journal can keep", t.UTC().Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

func fromNS(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// formatsText keeps hash formats as their names, separated by spaces.
func formatsText(fs []hashes.Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return strings.Join(names, " ")
}

// parseFormats reads what formatsText wrote; names it does not know are left out.
func parseFormats(s string) []hashes.Format {
	var out []hashes.Format
	for name := range strings.FieldsSeq(s) {
		if f, err := hashes.Parse(name); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// offloadText keeps the offload's hash as "format:value", "" when there is none.
func offloadText(s hashes.Sum) string {
	if s.Format == "" {
		return ""
	}
	return s.String()
}

// parseOffload reads what offloadText wrote; a format it does not know reads as none.
func parseOffload(s string) hashes.Sum {
	if sums := hashes.ParseSums(s); len(sums) == 1 {
		return sums[0]
	}
	return hashes.Sum{}
}
