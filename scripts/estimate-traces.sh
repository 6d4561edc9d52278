#!/usr/bin/env bash
# Turns the uploads of a field trial kept with C2C_FIELD_KEEP into the progress traces
# the estimator's benchmark replays (core/upload/testdata/estimate, BenchmarkEstimate):
# one trace per card, its `upload --json` runs one after the other (a "start" event
# where a run began: after a SIGKILL or a re-pairing), with the totals and connection
# events and only the fields the estimate reads; its "finished" is the run's "result",
# when the card had nothing left to do. A card whose last run did not get there (killed)
# is left out: there is no end to measure the time left against.
#
#   C2C_FIELD=ci C2C_FIELD_KEEP=/tmp/field scripts/field.sh
#   scripts/estimate-traces.sh /tmp/field
set -euo pipefail
cd "$(dirname "$0")/.."
kept=${1:?usage: scripts/estimate-traces.sh KEPT_FIELD_TRIAL_DIR}
out=core/upload/testdata/estimate
mkdir -p "$out"
cards=$(find "$kept" -maxdepth 1 -name '*.out' -printf '%f\n' | sed -n 's/^[0-9]*-upload-\(card[0-9]*\).*\.out$/\1/p' | sort -u)
for card in $cards; do
	trace=$(mktemp)
	for f in "$kept"/*-upload-"$card"*.out; do
		# The stdout section of the kept output: between "--- stdout" and "--- stderr".
		echo '{"type":"start"}' >>"$trace"
		sed -n '/^--- stdout$/,/^--- stderr$/p' "$f" | grep '^{' |
			jq -c 'select(.type == "totals" or .type == "result" or .type == "connection")
				| if .type == "connection" then {type, at, state}
				  elif .type == "result" then {type: "finished", at, not_arrived}
				  else {type, at, files, files_remaining, done, bytes_remaining, bytes_in_flight, bytes_sent, paused} end' >>"$trace"
	done
	if ! awk '/"type":"start"/ { f = 0 } /"type":"finished"/ { f = 1 } END { exit !f }' "$trace"; then
		echo "skipped $card: its last run did not finish"
		rm -f "$trace"
		continue
	fi
	chmod 644 "$trace"
	mv "$trace" "$out/$card.jsonl"
	echo "$out/$card.jsonl: $(wc -l <"$out/$card.jsonl") events"
done
