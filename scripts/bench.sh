#!/usr/bin/env bash
# Upload benchmarks against a standalone simulator on loopback (`c2c-uploader sim
# --discard`: the simulator hashes what it receives and keeps nothing, so the disk is not
# the limit), each held to its target. Every uploader run is measured next to a
# baseline taken in the same run, against the same simulator: scripts/benchclient, the
# plainest Go client that uploads well (create the asset, PUT its chunks from the file
# over kept-alive connections; no journal, no retries, no progress), with the same
# parallelism. Both run as processes of their own under /usr/bin/time.
#
#   1. one 2 GiB file: the uploader (one file, 4 chunks in flight) against the client
#      with 4 PUTs in flight: throughput >= 1.0 of the client's;
#   2. 3,000 files of 1 MiB: the uploader with its defaults (each file is one chunk, so
#      its budget of 2 files x 4 chunks keeps 8 PUTs in flight) against the client
#      creating the asset and PUTting the chunk of 8 files at once: files/s >= 0.9 of the
#      client's, CPU seconds per GB <= 1.3 times the client's;
#   3. one 4 GiB file with the defaults, in a data folder of its own: peak RSS <= 64 MiB
#      (and CPU seconds per GB); its peak RSS with the data folder of 1 and 2 is printed too.
#   4. the cost of hashing what is sent (README, Receipts): the uploader against the same
#      source built with -tags bench_nohash (core/hashes/new_nohash.go: every hash takes
#      the bytes without looking at them; all else is the same, the reading again of parts
#      sent ahead of the file's hash included), interleaved, each in a data folder of its
#      own, on the 2 GiB file and the small files: throughput >= 0.9 of the build without
#      hashing.
#   5. automatic ingest: a clip recorded into a watched folder done within 2 s of its last
#      write (settle 1 s), a rescan of 10,000 files within 1 s, idle CPU reported.
#
# It prints every ratio with the baseline it was measured against, then a PASS or FAIL
# line per target, and exits 1 if any target is missed. Files are sparse (read as zeros):
# both sides read the same bytes the same way. Each measurement is taken BENCH_REPEAT
# times (default 3) and the best kept (the least wall time, the least CPU), since this
# machine is shared. Usage: scripts/bench.sh (or make bench).
set -euo pipefail
cd "$(dirname "$0")/.."

# The uploader keeps its pairing in the keychain: give it a private D-Bus session with an
# unlocked gnome-keyring, as scripts/test.sh does.
source scripts/lib/keyring.sh
in_private_session C2C_BENCH_SESSION scripts/bench.sh "$@"
repeat=${BENCH_REPEAT:-3}
small_files=${BENCH_SMALL_FILES:-3000}
bin=${BENCH_BIN:-}
if [ -z "$bin" ]; then
	bin=bin/c2c-uploader
	go build -trimpath -o "$bin" .
fi
bin=$(realpath "$bin")
# The uploader measured must hash: a build made with -tags bench_nohash (4's baseline)
# would be measured against itself.
if go version -m "$bin" | grep -q 'bench_nohash'; then
	echo "bench: $bin was built with -tags bench_nohash; build it without (unset GOFLAGS)" >&2
	exit 1
fi
timebin=/usr/bin/time
[ -x "$timebin" ] || { echo "bench: $timebin is missing (Debian package: time)" >&2; exit 1; }

work=$(mktemp -d)
sim_pid=""
cleanup() {
	if [ -n "$sim_pid" ]; then
		kill "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	stop_private_keyring
	rm -rf "$work"
}
trap cleanup EXIT
private_keyring c2c-bench 2>/dev/null
client="$work/benchclient"
go build -trimpath -o "$client" ./scripts/benchclient

# The simulator, on a free loopback port.
"$bin" sim --addr 127.0.0.1:0 --discard --quiet --auto-approve --poll-interval 1s >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 100); do grep -q 'API:' "$work/sim.out" 2>/dev/null && break; sleep 0.05; done
B=$(awk '$1 == "API:" { print $2 }' "$work/sim.out")
[ -n "$B" ] || { cat "$work/sim.err" >&2; exit 1; }

export C2C_API_URL=$B C2C_DATA_DIR="$work/data" C2C_KEYRING_SERVICE="c2c-bench-$$" C2C_CLIENT_SECRET=c2csim-demo-client-secret
"$bin" pair >/dev/null 2>"$work/pair.err" || { cat "$work/pair.err" >&2; exit 1; }
"$client" pair -api "$B" -token "$work/client.token"

# run NAME CMD...: runs CMD under /usr/bin/time and prints "wall-seconds cpu-seconds
# peak-rss-KiB"; its stderr is in $work/NAME.err.
run() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$timebin" -f '%U %S %M' -o "$work/$name.time" "$@" >/dev/null 2>"$work/$name.err" ||
		{ echo "bench: $name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" '{ printf "%.3f %.2f %d\n", b - a, $1 + $2, $3 }' "$work/$name.time"
}
uploader() { run uploader "$bin" upload --force "$1"; }
# In 4 each build has a data folder of its own, both starting empty, so that each run
# reads back as long a history as the other's (the build without hashing also writes
# receipts that say nothing).
hashed() { C2C_DATA_DIR="$work/data-hashed" run uploader "$bin" upload --force "$1"; }
unhashed() { C2C_DATA_DIR="$work/data-base" run unhashed "$nohash" upload --force "$1"; }
# baseline MODE ARGS...: a timed run of the client, then (untimed) its check that every
# asset it made was assembled.
baseline() {
	run client "$client" "$1" -api "$B" -token "$work/client.token" -ids "$work/client.ids" "${@:2}"
	"$client" check -api "$B" -ids "$work/client.ids" >&2
}

# best: the least of each column over the runs on stdin.
best() { awk 'NR == 1 { w = $1; c = $2; r = $3 } { if ($1 < w) w = $1; if ($2 < c) c = $2; if ($3 < r) r = $3 } END { print w, c, r }'; }

# measure DIR-OR-FILE CLIENT-ARGS...: the best uploader and client runs, interleaved;
# sets up=(wall cpu rss) and base=(wall cpu rss).
measure() {
	local target=$1 u=() c=()
	shift
	for _ in $(seq "$repeat"); do
		u+=("$(uploader "$target")")
		c+=("$(baseline "$@")")
	done
	read -r -a up <<<"$(printf '%s\n' "${u[@]}" | best)"
	read -r -a base <<<"$(printf '%s\n' "${c[@]}" | best)"
}

calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
verdicts=()
failed=0
# target NAME VALUE OP LIMIT: a PASS or FAIL line for later.
target() {
	local ok
	ok=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { print (op == ">=" ? v >= l : v <= l) ? 1 : 0 }')
	if [ "$ok" = 1 ]; then
		verdicts+=("PASS  $1: $2 $3 $4")
	else
		verdicts+=("FAIL  $1: $2, the target is $3 $4")
		failed=1
	fi
}

echo "C2C Uploader benchmarks: $(git describe --always --dirty 2>/dev/null || echo unknown), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "simulator: $B (--discard); baseline: scripts/benchclient; best of $repeat runs each"
echo

# The build without hashing, for 4.
nohash="$work/uploader-nohash"
go build -trimpath -tags bench_nohash -o "$nohash" .
C2C_DATA_DIR="$work/data-base" "$nohash" pair >/dev/null 2>"$work/pair-base.err" || { cat "$work/pair-base.err" >&2; exit 1; }
C2C_DATA_DIR="$work/data-hashed" "$bin" pair >/dev/null 2>"$work/pair-hashed.err" || { cat "$work/pair-hashed.err" >&2; exit 1; }

# hashcost DIR: the best of the uploader and of the build without hashing, interleaved;
# sets hashed=(wall cpu rss) and plain=(wall cpu rss).
hashcost() {
	local h=() p=()
	for _ in $(seq "$repeat"); do
		h+=("$(hashed "$1")")
		p+=("$(unhashed "$1")")
	done
	read -r -a hashed <<<"$(printf '%s\n' "${h[@]}" | best)"
	read -r -a plain <<<"$(printf '%s\n' "${p[@]}" | best)"
}

# 1. One 2 GiB file.
big=$((2 << 30))
mkdir -p "$work/big" && truncate -s $big "$work/big/big.mov"
cat "$work/big/big.mov" >/dev/null # in the page cache for both sides
measure "$work/big" file -parallel 4 "$work/big/big.mov"
ratio=$(calc "${base[0]} / ${up[0]}")
echo '2 GiB file'
printf '  uploader (1 file x 4 chunks)   %6.2f s  %7.1f MiB/s\n' "${up[0]}" "$(calc "$big / ${up[0]} / 1048576")"
printf '  Go client (4 PUTs in flight)   %6.2f s  %7.1f MiB/s\n' "${base[0]}" "$(calc "$big / ${base[0]} / 1048576")"
printf '  throughput uploader/client     %s\n' "$ratio"
target "2 GiB file, throughput of the plain parallel-PUT client" "$ratio" ">=" 1.0
hashcost "$work/big"
big_hash=$(calc "${plain[0]} / ${hashed[0]}")
printf '  hashing: with %.2f s (CPU %.2f s), without (bench_nohash) %.2f s (CPU %.2f s): throughput %s\n' \
	"${hashed[0]}" "${hashed[1]}" "${plain[0]}" "${plain[1]}" "$big_hash"
target "2 GiB file, throughput with hashing against without" "$big_hash" ">=" 0.9
echo

# 2. 3,000 files of 1 MiB.
mkdir -p "$work/small"
for i in $(seq -w 1 "$small_files"); do truncate -s 1M "$work/small/clip-$i.mov"; done
small_gb=$(calc "$small_files * 1048576 / 1e9")
measure "$work/small" files -parallel 8 "$work/small"
rate=$(calc "${base[0]} / ${up[0]}")
cpu=$(calc "${up[1]} / ${base[1]}")
echo "$small_files files of 1 MiB (one chunk each)"
printf '  uploader (8 PUTs in flight)    %6.2f s  %7.1f files/s  CPU %6.2f s = %5.2f s per GB\n' \
	"${up[0]}" "$(calc "$small_files / ${up[0]}")" "${up[1]}" "$(calc "${up[1]} / $small_gb")"
printf '  Go client (8 files at a time)  %6.2f s  %7.1f files/s  CPU %6.2f s = %5.2f s per GB\n' \
	"${base[0]}" "$(calc "$small_files / ${base[0]}")" "${base[1]}" "$(calc "${base[1]} / $small_gb")"
printf '  files/s uploader/client        %s\n' "$rate"
printf '  CPU per GB uploader/client     %s\n' "$cpu"
target "$small_files files of 1 MiB, files/s of the plain Go client" "$rate" ">=" 0.9
target "$small_files files of 1 MiB, CPU per GB against the plain Go client" "$cpu" "<=" 1.3
hashcost "$work/small"
small_hash=$(calc "${plain[0]} / ${hashed[0]}")
printf '  hashing: with %.2f s (CPU %.2f s), without (bench_nohash) %.2f s (CPU %.2f s): files/s %s\n' \
	"${hashed[0]}" "${hashed[1]}" "${plain[0]}" "${plain[1]}" "$small_hash"
target "$small_files files of 1 MiB, files/s with hashing against without" "$small_hash" ">=" 0.9
echo

# 3. One 4 GiB file with the defaults: memory and CPU.
rm -f "$work/big/big.mov"
huge=$((4 << 30))
mkdir -p "$work/huge" && truncate -s $huge "$work/huge/huge.mov"
cat "$work/huge/huge.mov" >/dev/null
# In a data folder of its own, paired afresh: the memory of streaming the file. The data
# folder of the runs above holds every file they uploaded, and the engine keeps each
# finished file in memory (the app's window lists them): that figure is printed beside it.
# (Its pairing under a keyring entry of its own, so the other's stays as it is.)
C2C_DATA_DIR="$work/data-huge" C2C_KEYRING_SERVICE="c2c-bench-$$-huge" "$bin" pair >/dev/null 2>"$work/pair-huge.err" ||
	{ cat "$work/pair-huge.err" >&2; exit 1; }
read -r -a up <<<"$(C2C_DATA_DIR="$work/data-huge" C2C_KEYRING_SERVICE="c2c-bench-$$-huge" uploader "$work/huge")"
read -r -a hist <<<"$(uploader "$work/huge")"
rss_mib=$(calc "${up[2]} / 1024")
echo '4 GiB file, default settings'
printf '  wall %.2f s (%s MiB/s), peak RSS %s MiB, CPU %.2f s = %s s per GB\n' \
	"${up[0]}" "$(calc "$huge / ${up[0]} / 1048576")" "$rss_mib" "${up[1]}" "$(calc "${up[1]} / ($huge / 1e9)")"
printf '  with the journal of the runs above (%s files finished): peak RSS %s MiB\n' \
	"$(( repeat * small_files + repeat ))" "$(calc "${hist[2]} / 1024")"
target "4 GiB file, peak RSS in MiB" "$rss_mib" "<=" 64
echo

# 5. Automatic ingest (README, "Watch folders"): a 40 MiB clip recorded at 4 MiB/s into a
# watched folder, uploaded as it is written with a settle time of 1 s, done within 2 s of
# its last write; a rescan of 10,000 files within 1 s; and the CPU of watching them idle.
# Go benchmarks of the engine and the watcher in process (the simulator on loopback).
echo 'Automatic ingest'
glass=$(go test -run '^$' -bench 'GlassToCloud/settle=1s' -benchtime "${repeat}x" ./core/upload/ | awk '/s-after-last-write/ { for (i = 1; i < NF; i++) if ($(i + 1) == "s-after-last-write") print $i }')
ingest=$(go test -run '^$' -bench 'TenThousandFiles' -benchtime 2x ./core/ingest/)
rescan=$(awk '/^BenchmarkRescan/ { printf "%.3f", $3 / 1e9 }' <<<"$ingest")
idle=$(awk '/^BenchmarkIdle/ { for (i = 1; i < NF; i++) if ($(i + 1) == "cpu-ms/min") print $i }' <<<"$ingest")
printf '  glass to cloud (settle 1 s): done %s s after the last write; rescan of 10,000 files %s s; idle CPU watching them %s ms per minute\n' "$glass" "$rescan" "$idle"
target "glass to cloud, seconds after the last write" "$glass" "<=" 2
target "rescan of 10,000 files, seconds" "$rescan" "<=" 1
echo

printf '%s\n' "${verdicts[@]}"
exit $failed
