#!/usr/bin/env bash
# Measures the publish pause a bundle move causes: a two-broker standalone, a producer at a fixed
# rate through the proxy, and the topic's bundle moved back and forth every few seconds.
#   scripts/move-pause.sh [RATE] [MOVES] [SECONDS_BETWEEN_MOVES]
# Prints the perf summary (publish pauses over 10 ms: count, p50, p99, max) and each move's
# hand-over time from the brokers' log. Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-5000}
MOVES=${2:-10}
EVERY=${3:-5}
DATA=$(mktemp -d /tmp/tributary-move-XXXXXX)
OUT=${OUT:-$DATA}
TOPIC=public/default/move-bench
export TRIBUTARY_SKIP_BUILD=${TRIBUTARY_SKIP_BUILD:-0}

bin/tributary --help >/dev/null   # builds on first use
export TRIBUTARY_SKIP_BUILD=1
TRIBUTARY_MEM="-Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g -XX:MaxGCPauseMillis=20" \
  bin/tributary standalone --brokers 2 --data-dir "$DATA" --metrics-port -1 >"$OUT/standalone.out" 2>"$OUT/standalone.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 120); do grep -q "Press Ctrl-C" "$OUT/standalone.out" && break; sleep 1; done

# the producer runs until the moves are done (admin commands start a JVM each: seconds on a busy machine)
DURATION=3600
TRIBUTARY_MEM="-Xms1g -Xmx1g -XX:MaxGCPauseMillis=20" \
  bin/tributary perf produce $TOPIC -r "$RATE" -d "$DURATION" --warmup 10 --json "$OUT/perf.json" \
  --pause-log "$OUT/pauses.txt" >"$OUT/perf.out" 2>&1 &
PERF=$!
sleep 15
BUNDLE=$(bin/tributary admin bundles list public/default | awk 'NR > 1 && $4 + 0 > 0 {print $2; exit}')
: >"$OUT/moves.txt"
for i in $(seq 1 "$MOVES"); do
  date +%s%3N >>"$OUT/moves.txt"
  bin/tributary admin bundles unload public/default "$BUNDLE" || true
  sleep "$EVERY"
done
kill -TERM $PERF   # the producer prints its summary and writes its pause log on SIGTERM
wait $PERF || true
sed -n '/perf produce summary/,$p' "$OUT/perf.out"
echo "hand-over times seen by the old owner:"
grep -o "moved to broker-[0-9a-f]* in [0-9]* ms" "$OUT/standalone.log" || true
# per move: the longest publish pause that began between 0.5 s before the admin call and 3 s after it;
# gaps outside those windows are the same run's baseline
awk -v moves="$OUT/moves.txt" -v per="$OUT/per-move.txt" -v base="$OUT/baseline.txt" '
  BEGIN { while ((getline t < moves) > 0) m[++n] = t }
  { hit = 0
    for (i = 1; i <= n; i++) if ($1 >= m[i] - 500 && $1 <= m[i] + 3000) { if ($2 > best[i]) best[i] = $2; hit = 1 }
    if (!hit) print $2 > base }
  END { for (i = 1; i <= n; i++) print best[i] + 0 > per }' "$OUT/pauses.txt"
touch "$OUT/baseline.txt"
summary() { sort -n "$1" | awk -v what="$2" '{ v[NR] = $1 } END {
  if (NR == 0) { printf "%s: none\n", what; exit }
  p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++; if (p99 < 1) p99 = 1
  printf "%s: %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", what, NR, v[int((NR + 1) / 2)], v[p99], v[NR] }'; }
summary "$OUT/per-move.txt" "pause per move"
summary "$OUT/baseline.txt" "baseline gaps > 10 ms away from moves (same run)"
