#!/usr/bin/env bash
# Measures how long publishing stops when the broker that owns a topic is killed (kill -9): ZooKeeper,
# a bookie (journal fsync), two brokers and a proxy as separate processes, a producer at a fixed rate
# through the proxy; the owner is killed, publishes resume on the other broker, the killed one is
# started again, and so on.
#   scripts/takeover-pause.sh [RATE] [KILLS] [SESSION_TIMEOUT]
# Prints the publish pause of each kill (the longest gap in acknowledgements that began within 1 s of it)
# next to the brokers' ZooKeeper session timeout. Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-5000}
KILLS=${2:-3}
SESSION=${3:-6s}
DATA=$(mktemp -d /tmp/tributary-takeover-XXXXXX)
OUT=${OUT:-$DATA}; mkdir -p "$OUT"
TOPIC=public/default/takeover-bench
export TRIBUTARY_SKIP_BUILD=${TRIBUTARY_SKIP_BUILD:-0}
bin/tributary --help >/dev/null   # builds on first use
export TRIBUTARY_SKIP_BUILD=1
export TRIBUTARY_MEM="-Xms512m -Xmx512m -XX:MaxGCPauseMillis=20"
PIDS=()
trap 'kill -9 ${PIDS[@]} 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 120); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.5; done; return 1; }

ZK=$(free_port); BK=$(free_port); B1=$(free_port); B2=$(free_port); PX=$(free_port)
bin/tributary zookeeper --data-dir "$DATA/zk" --port "$ZK" --bind-address 127.0.0.1 -D zookeeper.metricsPort=-1 \
  >"$OUT/zk.log" 2>&1 & PIDS+=($!)
wait_port "$ZK"
bin/tributary bookie --zookeeper 127.0.0.1:$ZK --data-dir "$DATA/bookie" --port "$BK" --bind-address 127.0.0.1 \
  --advertised-address 127.0.0.1 -D bookie.metricsPort=-1 >"$OUT/bookie.log" 2>&1 & PIDS+=($!)
wait_port "$BK"
declare -A BROKER_PID
start_broker() {   # PORT
  bin/tributary broker --zookeeper 127.0.0.1:$ZK --port "$1" --advertised-address 127.0.0.1 \
    -D broker.bindAddress=127.0.0.1 -D broker.internal.port=0 -D broker.metricsPort=-1 -D broker.zkSessionTimeout="$SESSION" -D broker.loadBalancerEnabled=false \
    -D broker.ensembleSize=1 -D broker.writeQuorum=1 -D broker.ackQuorum=1 -D broker.allowSingleCopy=true \
    >>"$OUT/broker-$1.log" 2>&1 &
  BROKER_PID[$1]=$!; PIDS+=($!)
  wait_port "$1"
}
start_broker "$B1"; start_broker "$B2"
bin/tributary proxy --port "$PX" --brokers 127.0.0.1:$B1,127.0.0.1:$B2 -D proxy.bindAddress=127.0.0.1 \
  -D proxy.metricsPort=-1 -D proxy.httpPort=-1 >"$OUT/proxy.log" 2>&1 & PIDS+=($!)
wait_port "$PX"
ADMIN="bin/tributary admin -u 127.0.0.1:$PX"

bin/tributary perf produce $TOPIC -u 127.0.0.1:$PX -r "$RATE" -d 3600 --warmup 5 --json "$OUT/perf.json" \
  --pause-log "$OUT/pauses.txt" >"$OUT/perf.out" 2>&1 & PERF=$!; PIDS+=($PERF)
sleep 15
: >"$OUT/kills.txt"
for i in $(seq 1 "$KILLS"); do
  if [ "$i" = 1 ]; then
    # at first one bundle is owned, the topic's; later the owner is the broker that survived the last kill
    # (the load balancer is off, so nothing moves the topic back)
    $ADMIN bundles list public/default -o json >"$OUT/bundles.json"
    OWNER=$(python3 -c '
import json, sys
owned = [b for b in json.load(open(sys.argv[1])) if b.get("ownerAddress")]
print(owned[0]["ownerAddress"] if len(owned) == 1 else "")' "$OUT/bundles.json")
    [ -n "$OWNER" ] || { echo "cannot tell the topic's owner from $OUT/bundles.json"; kill -TERM $PERF; exit 1; }
  else
    OWNER=127.0.0.1:$([ "$PORT" = "$B1" ] && echo "$B2" || echo "$B1")
  fi
  PORT=${OWNER##*:}
  date +%s%3N >>"$OUT/kills.txt"
  kill -9 "${BROKER_PID[$PORT]}"
  echo "kill $i: broker on port $PORT"
  sleep $(( ${SESSION%s} + 12 ))
  start_broker "$PORT"
  sleep 10
done
kill -TERM $PERF 2>/dev/null; wait $PERF || true
sed -n '/perf produce summary/,$p' "$OUT/perf.out"
awk -v kills="$OUT/kills.txt" 'BEGIN { while ((getline t < kills) > 0) k[++n] = t }
  { for (i = 1; i <= n; i++) if ($1 >= k[i] - 1000 && $1 <= k[i] + 1000 && $2 > best[i]) best[i] = $2 }
  END { for (i = 1; i <= n; i++) printf "kill %d: publishes stopped for %.0f ms\n", i, best[i] }' "$OUT/pauses.txt"
echo "ZooKeeper session timeout of the brokers: $SESSION"
