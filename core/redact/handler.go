package redact

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
)

// maxDepth bounds how far nested groups and maps are walked; deeper values are dropped
// rather than printed, because printing them unscrubbed is the one thing we must not do.
const maxDepth = 8

type handler struct {
	next    slog.Handler
	secrets *Secrets
}

// NewHandler wraps next so that every message and attribute it receives has been
// scrubbed: values of secret-looking keys, Bearer tokens, URL query strings, secret form
// fields and the exact values registered in s. Values slog cannot show structurally
// without risk (structs, slices, errors, Stringers) reach next as scrubbed strings.
func NewHandler(next slog.Handler, s *Secrets) slog.Handler {
	return &handler{next: next, secrets: s}
}

// NewTextHandler is the app's log handler: slog's text format on w, at level, through
// the redactor. It is the only place a handler that writes is made (see
// TestNoLogHandlerBypassesTheRedactor), so nothing reaches a log unscrubbed.
func NewTextHandler(w io.Writer, level slog.Leveler, s *Secrets) slog.Handler {
	return NewHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}), s)
}

// IsRedacting reports whether h scrubs what it is given (it was made here).
func IsRedacting(h slog.Handler) bool {
	_, ok := h.(*handler)
	return ok
}

func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message, h.secrets), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a, 0))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs scrubs now, so values bound to a logger must not contain a secret that is
// registered only later; tokens are registered as soon as they are received.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	scrubbed := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		scrubbed[i] = h.attr(a, 0)
	}
	return &handler{next: h.next.WithAttrs(scrubbed), secrets: h.secrets}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), secrets: h.secrets}
}

func (h *handler) attr(a slog.Attr, depth int) slog.Attr {
	a.Value = a.Value.Resolve()
	if IsSecretKey(a.Key) {
		if a.Value.Kind() == slog.KindString && a.Value.String() == "" {
			return a // an absent secret is worth seeing as absent
		}
		return slog.String(a.Key, Mask)
	}
	a.Value = h.value(a.Value, depth)
	return a
}

func (h *handler) value(v slog.Value, depth int) slog.Value {
	if depth > maxDepth {
		return slog.StringValue("…")
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(String(v.String(), h.secrets))
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			out[i] = h.attr(a, depth+1)
		}
		return slog.GroupValue(out...)
	case slog.KindAny:
		return h.anyValue(v.Any(), depth)
	default: // numbers, bools, times, durations carry no secrets
		return v
	}
}

func (h *handler) anyValue(x any, depth int) slog.Value {
	switch t := x.(type) {
	case nil:
		return slog.AnyValue(nil)
	case error:
		return slog.StringValue(String(t.Error(), h.secrets))
	case fmt.Stringer:
		return slog.StringValue(String(t.String(), h.secrets))
	case []byte:
		return slog.StringValue(String(string(t), h.secrets))
	}
	// Maps with string keys (http.Header, url.Values, map[string]any) become groups so
	// the per-key rule applies to each entry and JSON logs keep their structure.
	rv := reflect.ValueOf(x)
	if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			switch {
			case a.String() < b.String():
				return -1
			case a.String() > b.String():
				return 1
			}
			return 0
		})
		attrs := make([]slog.Attr, 0, len(keys))
		for _, k := range keys {
			attrs = append(attrs, h.attr(slog.Any(k.String(), unwrapSingle(rv.MapIndex(k).Interface())), depth+1))
		}
		return slog.GroupValue(attrs...)
	}
	return slog.StringValue(String(fmt.Sprintf("%+v", x), h.secrets))
}

// unwrapSingle shows a one-element []string (the usual header or form value) as the
// string itself.
func unwrapSingle(x any) any {
	if ss, ok := x.([]string); ok && len(ss) == 1 {
		return ss[0]
	}
	return x
}
