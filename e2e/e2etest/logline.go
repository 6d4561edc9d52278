package e2etest

import (
	"strconv"
	"strings"
)

// ParseLogLine splits a line of the app's log (slog's text handler) into its key=value
// pairs.
func ParseLogLine(line string) map[string]string {
	m := map[string]string{}
	for {
		line = strings.TrimLeft(line, " ")
		eq := strings.IndexByte(line, '=')
		if eq <= 0 {
			return m
		}
		key, rest := line[:eq], line[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return m
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else if sp := strings.IndexByte(rest, ' '); sp >= 0 {
			val, rest = rest[:sp], rest[sp:]
		} else {
			val, rest = rest, ""
		}
		m[key] = val
		line = rest
	}
}
