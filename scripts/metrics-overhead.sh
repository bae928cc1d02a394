#!/usr/bin/env bash
# What watching costs: the standalone's CPU per message at a fixed publish rate, with every metrics
# endpoint on and a real Prometheus scraping all of them every second, against no endpoint at all.
# CPU time at a fixed rate varies far less on a shared machine than the highest rate does.
#   scripts/metrics-overhead.sh [PAIRS] [RATE] [SECONDS] [TOPICS]
# Runs PAIRS pairs, alternating which setting goes first; each run is a fresh standalone (journal
# fsync on) with TOPICS topics, a producer at RATE msg/s in all (1 KiB messages) and one consumer per
# topic, both through the proxy; the standalone's CPU is counted over SECONDS after WARMUP (15) s.
# SCRAPE sets the scrape interval (default 1s, fifteen times the usual, to make the cost visible).
# Prints one line per run and the means. Needs `prometheus`
# (Debian's package) on the PATH for the runs with metrics on.
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${1:-3}
RATE=${2:-10000}
SECONDS_RUN=${3:-60}
TOPICS=${4:-10}
METRICS_PORT=${METRICS_PORT:-18080}
WARMUP=${WARMUP:-15}
SCRAPE=${SCRAPE:-1s}
WORK=$(mktemp -d /tmp/tributary-overhead-XXXXXX)
TICKS=$(getconf CLK_TCK)
export TRIBUTARY_SKIP_BUILD=${TRIBUTARY_SKIP_BUILD:-0}
bin/tributary --help >/dev/null   # builds on first use
export TRIBUTARY_SKIP_BUILD=1

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() {   # run SETTING (on|off) N
  local setting=$1 n=$2 dir="$WORK/$1-$2" port=-1 server prom="" consumer
  mkdir -p "$dir"
  [ "$setting" = on ] && port=$METRICS_PORT
  TRIBUTARY_MEM="-Xms2g -Xmx2g" bin/tributary standalone --data-dir "$dir/data" --metrics-port "$port" \
    >"$dir/standalone.out" 2>"$dir/standalone.log" &
  server=$!
  for _ in $(seq 1 120); do grep -q "Press Ctrl-C" "$dir/standalone.out" && break; sleep 1; done
  if [ "$setting" = on ]; then
    # broker, proxy, bookie and ZooKeeper: the standalone's ports from --metrics-port on
    cat >"$dir/prometheus.yml" <<EOF
global: {scrape_interval: $SCRAPE, scrape_timeout: 1s}
scrape_configs:
  - job_name: tributary
    static_configs:
      - targets: ['127.0.0.1:$port', '127.0.0.1:$((port + 1))', '127.0.0.1:$((port + 2))', '127.0.0.1:$((port + 3))']
EOF
    prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
      --web.listen-address=127.0.0.1:$((port + 10)) >"$dir/prometheus.log" 2>&1 &
    prom=$!
  fi
  TRIBUTARY_MEM="-Xms512m -Xmx512m" bin/tributary perf consume public/default/overhead -t "$TOPICS" -d $((SECONDS_RUN + WARMUP + 20)) \
    >"$dir/consume.out" 2>&1 &
  consumer=$!
  local before after producer
  TRIBUTARY_MEM="-Xms1g -Xmx1g" bin/tributary perf produce public/default/overhead -t "$TOPICS" -r "$RATE" \
    -d $((SECONDS_RUN + WARMUP)) -s 1024 --json "$dir/perf.json" >"$dir/produce.out" 2>&1 &
  producer=$!
  # CPU over SECONDS_RUN seconds after a warm-up (JIT compilation, topics loading)
  sleep "$WARMUP"
  before=$(cpu_ticks "$server")
  sleep "$SECONDS_RUN"
  after=$(cpu_ticks "$server")
  wait "$producer"
  kill "$consumer" 2>/dev/null || true
  wait "$consumer" 2>/dev/null || true
  [ -n "$prom" ] && { kill "$prom"; wait "$prom" 2>/dev/null || true; }
  kill "$server"; wait "$server" 2>/dev/null || true
  local rate
  rate=$(grep -o '"msgPerSec" *: *[0-9.]*' "$dir/perf.json" | grep -o '[0-9.]*$' | head -1)
  # the producer kept its rate (it reports its mean): the window held about rate x SECONDS_RUN messages
  awk -v s="$setting" -v t=$((after - before)) -v hz="$TICKS" -v r="${rate:-0}" -v d="$SECONDS_RUN" 'BEGIN {
    m = r * d; printf "%-3s cpu %.1f s for %d messages: %.1f us/message, %.0f msg/s\n", s, t / hz, m, m ? t / hz / m * 1e6 : 0, r }' \
    | tee -a "$WORK/results.txt"
  rm -rf "$dir/data" "$dir/tsdb"
}

for i in $(seq 1 "$PAIRS"); do
  if [ $((i % 2)) -eq 1 ]; then run on "$i"; run off "$i"; else run off "$i"; run on "$i"; fi
done
awk '{ sum[$1] += $(NF - 3); n[$1]++ } END {
  for (s in sum) printf "mean %s: %.1f us/message\n", s, sum[s] / n[s]
  if (n["on"] && n["off"]) printf "on / off: %.3f\n", (sum["on"] / n["on"]) / (sum["off"] / n["off"]) }' "$WORK/results.txt"
echo "runs' logs: $WORK"
