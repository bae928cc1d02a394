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

DURATION=$((15 + MOVES * EVERY + 5))
TRIBUTARY_MEM="-Xms1g -Xmx1g -XX:MaxGCPauseMillis=20" \
  bin/tributary perf produce $TOPIC -r "$RATE" -d "$DURATION" --warmup 10 --json "$OUT/perf.json" >"$OUT/perf.out" 2>&1 &
PERF=$!
sleep 15
BUNDLE=$(bin/tributary admin bundles list public/default | awk '$4 > 0 {print $2; exit}')
for i in $(seq 1 "$MOVES"); do
  bin/tributary admin bundles unload public/default "$BUNDLE" || true
  sleep "$EVERY"
done
wait $PERF || true
cat "$OUT/perf.out" | sed -n '/Summary/,$p'
echo "hand-over times seen by the old owner:"
grep -o "moved to broker-[0-9a-f]* in [0-9]* ms" "$OUT/standalone.log" || true
