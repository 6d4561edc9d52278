#!/usr/bin/env bash
# Checks the GitHub Actions workflows without running them: actionlint (with shellcheck on
# every run: script, MSYS2 ones included), and every `make TARGET` in a run: script names a
# target the Makefile defines, since a renamed target would otherwise surface only on a
# release runner. WORKFLOW_CHECK_MAKEFILE names another makefile to check against.
set -euo pipefail
cd "$(dirname "$0")/.."

actionlint_version=1.7.12
makefile=${WORKFLOW_CHECK_MAKEFILE:-Makefile}
workflows=(.github/workflows/*.yml)

# Without shellcheck, actionlint silently skips the run: scripts.
command -v shellcheck >/dev/null ||
	{ echo "shellcheck is not installed, and actionlint needs it to check the run: scripts."; exit 1; }
actionlint="$(go env GOPATH)/bin/actionlint"
if ! { [ -x "$actionlint" ] && "$actionlint" -version | head -n 1 | grep -qx "v$actionlint_version"; }; then
	GOFLAGS='' go install "github.com/rhysd/actionlint/cmd/actionlint@v$actionlint_version"
fi

"$actionlint" "${workflows[@]}" ||
	{ echo "actionlint found the problems above in .github/workflows."; exit 1; }

# actionlint does not shellcheck scripts run by `shell: msys2 {0}`; they are bash, so a
# copy that says bash gets them checked too.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for wf in "${workflows[@]}"; do
	if grep -q 'msys2 {0}' "$wf"; then
		sed 's/msys2 {0}/bash {0}/' "$wf" >"$tmp/$(basename "$wf")"
		"$actionlint" "$tmp/$(basename "$wf")" ||
			{ echo "shellcheck found the problems above in the MSYS2 scripts of $wf (line numbers are the same)."; exit 1; }
	fi
done

# The targets the makefile defines, from make's database (-p) without running anything (-q).
targets=$(make -pRrq -f "$makefile" : 2>/dev/null |
	awk '/^# Not a target/ {skip = 1; next} /^[^#.\t][^=]*:([^=]|$)/ && !skip {sub(/:.*/, ""); print} {skip = 0}' |
	sort -u || true)
[ -n "$targets" ] || { echo "make could not read the targets of $makefile."; exit 1; }

# The make targets in run: scripts: a run: value, or the block under `run: |` (the lines
# indented deeper than the run: key), with continuations joined and comments dropped;
# then the words after `make` that are neither options nor VAR=value.
for wf in "${workflows[@]}"; do
	while read -r target; do
		grep -qxF -- "$target" <<<"$targets" ||
			{ echo "$wf runs make $target, which $makefile does not define."; exit 1; }
	done < <(awk '
		function indent(s) { match(s, /^ */); return RLENGTH }
		inblock && ($0 ~ /^ *$/ || indent($0) > key) { print; next }
		{ inblock = 0 }
		/^ *(- )?run: / {
			key = index($0, "run:") - 1
			value = substr($0, key + 6)
			if (value ~ /^[|>][-+0-9]*[ \t]*$/) inblock = 1; else print value
		}' "$wf" |
		sed -e 's/^[[:space:]]*#.*//' -e 's/[[:space:]]#.*//' |
		awk '/\\$/ {sub(/\\$/, ""); line = line $0 " "; next} {print line $0; line = ""}' |
		awk '{
			for (i = 1; i <= NF; i++) if ($i == "make") {
				for (j = i + 1; j <= NF; j++) {
					w = $j; end = sub(/[;&|()<>].*/, "", w)
					if (w != "" && w !~ /^-/ && w !~ /=/) print w
					if (end) break
				}
			}
		}')
done
echo "workflow check: passed (actionlint $actionlint_version with shellcheck, make targets in $makefile)"
