#!/usr/bin/env bash
# bench/otlp.sh BUILD [SECONDS] - OTLP/HTTP trace ingest (POST /v1/traces,
# protobuf), measured with spider-load: a fresh BUILD/spider pinned to CPU 0
# (taskset -c 0) on 127.0.0.1:0, spider-load pinned to CPU 1, posters back to
# back, for 1 and 4 keep-alive posters x 512 spans a request and 1 poster x
# 64 spans (4 services x 16 names: 64 series). Prints spans/s answered 200,
# the server's accepted spans/s (spider_samples_accepted_total{protocol="otlp"}),
# request latency p50/p99, answers other than 200, the server's CPU (average
# of the per-second samples, % of one core). Fails, saying why, when the
# server does not take POST /v1/traces.
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
cd "$(dirname "$0")/.."
spider="$build/spider"
load="$build/spider-load"
json=$(mktemp)
log=$(mktemp)
pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; pid=; }
trap 'stop; rm -f "$json" "$log"' EXIT

[ -x "$spider" ] && [ -x "$load" ] || { echo "otlp bench: no $spider or $load (build first)" >&2; exit 1; }

# A server with a StatsD listener binds 127.0.0.1:8125 by default: not here.
no_statsd=()
if grep -q -- '--statsd-listen' <<<"$("$spider" --help 2>&1)"; then no_statsd=(--statsd-listen off --otlp-listen off); fi

start() {
  taskset -c 0 "$spider" --listen 127.0.0.1:0 "${no_statsd[@]}" 2>"$log" &
  pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$log" | head -1)
    [ -n "$port" ] && return
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "otlp bench: spider exited at start:" >&2
      cat "$log" >&2
      pid=
      exit 1
    fi
    sleep 0.1
  done
  echo "otlp bench: no 'listening on http://127.0.0.1:PORT' in spider's log after 10 s:" >&2
  cat "$log" >&2
  exit 1
}

field() { node -e "const d=JSON.parse(require('fs').readFileSync('$json'));const v=($1);console.log(v===null||v===undefined?'n/a':v)"; }

# An empty ExportTraceServiceRequest must be answered 200.
start
status=$(node -e "
  fetch('http://127.0.0.1:$port/v1/traces', {method: 'POST',
    headers: {'Content-Type': 'application/x-protobuf'}, body: new Uint8Array(0)})
    .then((r) => console.log(r.status), (e) => console.log('error: ' + e.message));")
stop
if [ "$status" != 200 ]; then
  echo "otlp bench: spider does not take OTLP traces: an empty POST /v1/traces was answered $status (want 200)" >&2
  exit 1
fi

echo "== otlp/http traces, posters back to back (spider on CPU 0, spider-load on CPU 1; ${seconds} s each)"
for run in "1 512" "4 512" "1 64"; do
  read -r posters spans <<<"$run"
  start
  taskset -c 1 "$load" --server "127.0.0.1:$port" --otlp-posters "$posters" --otlp-spans "$spans" \
    --duration "${seconds}s" --pid "$pid" --quiet --json "$json" >/dev/null || true
  echo "otlp posters=${posters} spans/request=${spans}:" \
    "$(field 'Math.round(d.otlp.spans_ok_per_s)') spans/s answered 200," \
    "server accepted $(field 'd.otlp.server_accepted_spans_per_s===null?null:Math.round(d.otlp.server_accepted_spans_per_s)') spans/s," \
    "$(field 'Math.round((d.otlp.ok+d.otlp.failed)/d.elapsed_s)') requests/s," \
    "latency p50 $(field 'd.otlp.latency_ms.p50') p99 $(field 'd.otlp.latency_ms.p99') ms," \
    "not 200: $(field 'd.otlp.failed') ($(field 'JSON.stringify(d.otlp.status)'))," \
    "rejected spans $(field 'd.otlp.spans_rejected')," \
    "server CPU $(field 'd.server_process.cpu_avg_pct.toFixed(0)')% of a core"
  stop
done
