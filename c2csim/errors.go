package c2csim

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// The API writes errors in three JSON shapes (docs/api-notes.md §5); S3 writes XML.

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// simpleError is the schema of the /v2/auth/* endpoints: {"error":"invalid_client"}.
func simpleError(w http.ResponseWriter, status int, message string) {
	noteError(w, message)
	writeJSON(w, status, map[string]string{"error": message})
}

type detailedItem struct {
	Code   int    `json:"code"`
	Detail string `json:"detail"`
	Status int    `json:"status"`
	Title  string `json:"title"`
}

type detailedBody struct {
	Code    int            `json:"code"`
	Errors  []detailedItem `json:"errors"`
	Message string         `json:"message"`
}

// detailedError is the schema of the bearer endpoints (401 Not Authorized, 409 Channel Paused).
func detailedError(w http.ResponseWriter, status int, title, detail string) {
	noteError(w, title)
	writeJSON(w, status, detailedBody{
		Code:    status,
		Errors:  []detailedItem{{Code: status, Detail: detail, Status: status, Title: title}},
		Message: title,
	})
}

func notAuthorized(w http.ResponseWriter) {
	detailedError(w, http.StatusUnauthorized, "Not Authorized", "You are not allowed to access that resource")
}

type requestErrorItem struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Path    []string `json:"path"`
}

// requestErrors is the third schema (second seed): used here for malformed bodies and for
// an account that cannot pay for uploads.
func requestErrors(w http.ResponseWriter, status int, code, message string, path ...string) {
	if path == nil {
		path = []string{}
	}
	noteError(w, message)
	writeJSON(w, status, map[string]any{
		"code": "request_errors",
		"data": map[string]any{"errors": []requestErrorItem{{Code: code, Message: message, Path: path}}},
	})
}

// s3ErrorBody is S3's error document. Extra carries the elements some codes add, such as
// X-Amz-Expires, Expires and ServerTime on an expired presigned URL.
type s3ErrorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Extra     []s3Elem `xml:",any"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

type s3Elem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// S3Messages are the messages S3 sends with each code the simulator produces.
var S3Messages = map[string]string{
	"AccessDenied":          "Access Denied",
	"EntityTooLarge":        "Your proposed upload exceeds the maximum allowed object size.",
	"IncompleteBody":        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
	"InternalError":         "We encountered an internal error. Please try again.",
	"InvalidArgument":       "Invalid Argument",
	"MissingContentLength":  "You must provide the Content-Length HTTP header.",
	"NoSuchUpload":          "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
	"RequestTimeout":        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
	"ServiceUnavailable":    "Please reduce your request rate.",
	"SignatureDoesNotMatch": "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
	"SlowDown":              "Please reduce your request rate.",
}

// S3Status is the HTTP status S3 pairs with each code.
var S3Status = map[string]int{
	"AccessDenied":          http.StatusForbidden,
	"EntityTooLarge":        http.StatusBadRequest,
	"IncompleteBody":        http.StatusBadRequest,
	"InternalError":         http.StatusInternalServerError,
	"InvalidArgument":       http.StatusBadRequest,
	"MissingContentLength":  http.StatusLengthRequired,
	"NoSuchUpload":          http.StatusNotFound,
	"RequestTimeout":        http.StatusBadRequest,
	"ServiceUnavailable":    http.StatusServiceUnavailable,
	"SignatureDoesNotMatch": http.StatusForbidden,
	"SlowDown":              http.StatusServiceUnavailable,
}

// S3ErrorXML renders an S3 error document; message "" takes S3's usual text for code.
func S3ErrorXML(code, message, requestID string, extra ...[2]string) []byte {
	if message == "" {
		message = S3Messages[code]
	}
	doc := s3ErrorBody{Code: code, Message: message, RequestID: requestID, HostID: "c2csim"}
	for _, e := range extra {
		doc.Extra = append(doc.Extra, s3Elem{XMLName: xml.Name{Local: e[0]}, Value: e[1]})
	}
	body, err := xml.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("c2csim: S3 error document: %v", err))
	}
	return append([]byte(xml.Header), body...)
}

func s3Error(w http.ResponseWriter, code, message, requestID string, extra ...[2]string) {
	status, ok := S3Status[code]
	if !ok {
		status = http.StatusBadRequest
	}
	body := S3ErrorXML(code, message, requestID, extra...)
	noteError(w, code)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("x-amz-request-id", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
