#!/usr/bin/env bash
# The peers' workloads W1-W4 (../shared/peers/README.md) on a fresh Tributary standalone with journal fsync,
# the clients through the proxy or connected straight to the owning broker:
#   scripts/peer-workloads.sh proxy|direct OUT_DIR
# The same commands, flags and counts as ../shared/peers/scripts/tributary.sh, which runs the proxy side;
# writes w1..w4 .txt/.json and vmstat.txt into OUT_DIR and prints one line per workload.
set -u
MODE=${1:?usage: peer-workloads.sh proxy|direct OUT_DIR}; OUT=${2:?usage: peer-workloads.sh proxy|direct OUT_DIR}
case "$MODE" in proxy|direct) ;; *) echo "mode must be proxy or direct" >&2; exit 2 ;; esac
rm -rf "$OUT"; mkdir -p "$OUT"
cd "$(dirname "$0")/.."
export TRIBUTARY_SKIP_BUILD=1
TRIBUTARY_MEM="-Xms2g -Xmx2g -XX:MaxDirectMemorySize=2g -XX:+UseG1GC -XX:MaxGCPauseMillis=20" \
  bin/tributary standalone --data-dir "$OUT/data" > "$OUT/server.log" 2>&1 &
SP=$!
trap 'kill $SP 2>/dev/null; wait $SP 2>/dev/null; rm -rf "$OUT/data"' EXIT
for _ in $(seq 90); do (exec 3<>/dev/tcp/127.0.0.1/6650) 2>/dev/null && break; sleep 1; done
export TRIBUTARY_MEM="-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20"
bin/tributary admin namespaces set-policies public/default --retention-time=-1 > "$OUT/pol.log" 2>&1
NS=public/default
C="--connection-mode $MODE"
vmstat 5 > "$OUT/vmstat.txt" & VM=$!
timeout 400 bin/tributary perf produce $NS/w1 -n 1000000 -s 1024 $C --json "$OUT/w1.json" > "$OUT/w1.txt" 2>&1
timeout 400 bin/tributary perf produce $NS/w2 -n 2000000 -s 100 $C --json "$OUT/w2.json" > "$OUT/w2.txt" 2>&1
timeout 150 bin/tributary perf consume $NS/w3 -s w3sub --position Latest -d 80 $C --json "$OUT/w3c.json" > "$OUT/w3c.txt" 2>&1 &
CONSUMER=$!; sleep 8
timeout 100 bin/tributary perf produce $NS/w3 -r 10000 -n 600000 $C --json "$OUT/w3.json" > "$OUT/w3.txt" 2>&1
wait $CONSUMER
timeout 400 bin/tributary perf consume $NS/w1 -s catchup --position Earliest -n 1000000 $C --json "$OUT/w4.json" > "$OUT/w4.txt" 2>&1
kill $VM
for w in w1 w2 w3 w3c w4; do
  echo "$MODE $w: $(grep -E '^(throughput|latency ms|e2e latency ms)' "$OUT/$w.txt" | tr -s ' ' | paste -sd ';')"
done
