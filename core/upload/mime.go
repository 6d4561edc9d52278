package upload

import (
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// mediaTypes maps the extensions editors meet on set to the MIME type sent as the
// asset's filetype and as every chunk's Content-Type. Camera raw formats without a
// registered type get the vendor types in common use.
var mediaTypes = map[string]string{
	// video and camera originals
	".mov": "video/quicktime", ".qt": "video/quicktime", ".mp4": "video/mp4", ".m4v": "video/x-m4v",
	".mxf": "application/mxf", ".braw": "video/x-blackmagic-raw", ".r3d": "video/x-red-r3d",
	".ari": "image/x-arriraw", ".arx": "video/x-arriraw", ".crm": "video/x-canon-crm",
	".mkv": "video/x-matroska", ".avi": "video/x-msvideo", ".mts": "video/mp2t", ".m2ts": "video/mp2t",
	".mpg": "video/mpeg", ".mpeg": "video/mpeg", ".webm": "video/webm", ".dv": "video/x-dv",
	".3gp": "video/3gpp", ".insv": "video/mp4", ".lrv": "video/mp4",
	// sound
	".wav": "audio/wav", ".bwf": "audio/wav", ".aif": "audio/aiff", ".aiff": "audio/aiff",
	".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".flac": "audio/flac",
	".ogg": "audio/ogg",
	// stills and raw photos
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".heic": "image/heic",
	".heif": "image/heif", ".dng": "image/x-adobe-dng", ".cr2": "image/x-canon-cr2",
	".cr3": "image/x-canon-cr3", ".nef": "image/x-nikon-nef", ".arw": "image/x-sony-arw",
	".raf": "image/x-fuji-raf", ".orf": "image/x-olympus-orf", ".rw2": "image/x-panasonic-rw2",
	".tif": "image/tiff", ".tiff": "image/tiff", ".exr": "image/x-exr", ".dpx": "image/x-dpx",
	".psd": "image/vnd.adobe.photoshop", ".gif": "image/gif", ".webp": "image/webp",
	// documents, subtitles, metadata, looks
	".srt": "application/x-subrip", ".vtt": "text/vtt", ".xml": "application/xml",
	".fcpxml": "application/xml", ".edl": "text/plain", ".ale": "text/plain", ".csv": "text/csv",
	".txt": "text/plain", ".pdf": "application/pdf", ".json": "application/json",
	".cube": "text/plain", ".3dl": "text/plain", ".cdl": "application/xml", ".ccc": "application/xml",
	".zip": "application/zip",
}

// unknownType is sent for content nobody can name.
const unknownType = "application/octet-stream"

// Filetype names a file's MIME type: the media table by extension, then the system's
// table, then the content itself (http.DetectContentType on its first 512 bytes).
func Filetype(path string) string {
	ext := strings.ToLower(filepath.Ext(path))
	if t, ok := mediaTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return unknownType
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	if n == 0 {
		return unknownType
	}
	t, _, err := mime.ParseMediaType(http.DetectContentType(head[:n]))
	if err != nil {
		return unknownType
	}
	return t
}
