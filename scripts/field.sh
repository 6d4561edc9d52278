#!/usr/bin/env bash
# The field trial (make field): a shooting day of 200 files over emulated
# office, hotel Wi-Fi and cellular links, with an outage, a laptop sleep, a channel
# pause, a token revocation and two crashes, checked and measured. See
# docs/field-trial.md.
#
#   scripts/field.sh                 the full trial; its tables replace those in
#                                    docs/field-trial.md
#   C2C_FIELD=ci scripts/field.sh    the CI-sized day (the one `make test` runs), report
#                                    on stdout only
#
# Extra arguments go to go test (e.g. -race). Like scripts/test.sh it runs inside a
# private D-Bus session with an unlocked gnome-keyring, so the pairing lives in a real
# Secret Service from one command to the next. Network namespaces need root; without
# them the trial falls back to the proxy alone on loopback and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/keyring.sh
in_private_session C2C_FIELD_SESSION scripts/field.sh "$@"

size=${C2C_FIELD:-full}
export C2C_FIELD=$size

# A login keyring (password c2c-test), unlocked, on this session's bus only.
report=$(mktemp)
cleanup() {
	stop_private_keyring
	rm -rf "$report" "$report.section"
}
trap cleanup EXIT
private_keyring c2c-test
export C2C_REQUIRE_KEYRING=1

cmd=(go test -count=1 -v -timeout 60m -run '^TestFieldTrial$' "$@" ./e2e/field)
echo "+ C2C_FIELD=$size ${cmd[*]}"
status=0
C2C_FIELD_REPORT="$report" "${cmd[@]}" || status=$?

if [ "$size" = full ] && [ -s "$report" ]; then
	doc=docs/field-trial.md
	begin='<!-- field-trial:results:begin -->'
	end='<!-- field-trial:results:end -->'
	{
		echo "$begin"
		echo
		echo "Produced by \`make field\` (\`scripts/field.sh\`, i.e. \`C2C_FIELD=full ${cmd[*]}\`) on $(nproc) cores, Go $(go env GOVERSION), kernel $(uname -r), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' with local changes'):"
		echo
		cat "$report"
		echo
		echo "$end"
	} >"$report.section"
	if [ -f "$doc" ] && grep -qF "$begin" "$doc"; then
		awk -v b="$begin" -v e="$end" -v f="$report.section" '
			$0 == b { while ((getline line < f) > 0) print line; skip = 1; next }
			$0 == e { skip = 0; next }
			!skip { print }' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
	else
		mkdir -p docs
		cat "$report.section" >>"$doc"
	fi
	rm -f "$report.section"
	echo "field: the tables in $doc are updated"
fi
exit $status
