#!/usr/bin/env bash
# soak.sh BUILD SECONDS - the soak scenario of issue #5 against a fresh
# spider: 100 posters x 20 series x 100 samples at 1 Hz, 20 live, 20 slow
# and 200 stalled dashboards, probes every 500 ms. Passes only if every
# check of spider-load passes (see docs/load.md for the checks and the RSS
# bound) and the server then stops cleanly. Used by `make soak` (600 s) and
# the soak/short CTest entry (90 s).
set -euo pipefail
build=${1:-build}
seconds=${2:-600}
spider="$build/spider"
load="$build/spider-load"
for bin in "$spider" "$load"; do
  [ -x "$bin" ] || { echo "soak: $bin is not built (cmake --build $build)" >&2; exit 2; }
done

# The server's configuration, explicit so the RSS bound can be derived from
# it. The window is short so the store reaches its steady state (seconds
# leaving as fast as they arrive) early: 30 s, or a sixth of a shorter run
# (15 s for the 90 s test), since the RSS trend is judged on the second half
# and the heap keeps settling for a while after the window has filled.
window_s=$((seconds / 6 < 30 ? seconds / 6 : 30))
[ "$window_s" -ge 10 ] || window_s=10
window=${window_s}s
memory_limit_mib=64
max_body_mib=1
ingest_mib=4
answer_mib=4
push_ms=1000
stall_s=10
# Measured, not configured (docs/load.md): the idle process with its
# libraries and lws' fixed buffers, with headroom; and per connection lws'
# state, ours and what a service pass touches.
base_mib=16
per_conn_kib=16
# The sanitizer build's allocator keeps freed memory in quarantine and
# shadows all of it: RSS figures mean nothing there, so those checks are off.
# Growth: 1 MiB/min over the second half, as issue #5 asks, for runs of
# 5 minutes or more. A shorter run's second half is still inside the
# minutes in which glibc's heap settles (fragmentation from the store's
# per-second blocks: RSS rises while spider_store_bytes stays flat, ever
# more slowly; measured +1.2..1.9 MiB/min between 45 and 90 s, +0.2 MiB/min
# over the second half of 600 s), so the 90 s test allows 3 MiB/min: it
# still catches any leak per post, per update or per connection.
growth_mib=1
[ "$seconds" -ge 300 ] || growth_mib=3
rss_checks=(--check-rss-max "$((memory_limit_mib + ingest_mib + answer_mib + base_mib))MiB"
            --check-rss-per-conn "${per_conn_kib}KiB" --check-rss-growth "${growth_mib}MiB")
if [ "${SOAK_SANITIZED:-0}" = 1 ]; then
  rss_checks=()
fi
# Two kinds of check. Invariants hold on any machine, however busy: every
# post answered and every sample kept, no live dashboard misses a tick,
# every probe reaches every live dashboard (lost: not within 30 s), every
# stalled dashboard is closed during the run, RSS under its bound. Figures
# depend on the machine: probe latency (until every live dashboard has the
# new series: one push interval, the push being staggered, plus delivery;
# 250 ms of slack) and how soon a stalled dashboard is closed after
# --stall-timeout. `make soak` (SOAK_BOUNDS=1, the default for runs of 5
# minutes and more) checks those too, on a quiet machine; the 90 s run in
# `make test` does not: on a shared 2-core machine, with the sanitizer build
# 2-3x slower, they failed (probe p99 5.7 s, a stall close at 30 s) while
# nothing was lost.
bounds=${SOAK_BOUNDS:-$([ "$seconds" -ge 300 ] && echo 1 || echo 0)}
probe_checks=(--check-probes --probe-timeout 30s)
stall_close_s=$seconds
if [ "$bounds" = 1 ]; then
  probe_checks=(--check-probe-p99 "$((push_ms + 250))ms")
  stall_close_s=$((stall_s + 2))
fi

log=$(mktemp)
"$spider" --listen 127.0.0.1:0 --statsd-listen off --otlp-listen off --window "$window" --memory-limit "${memory_limit_mib}MiB" \
  --max-body "${max_body_mib}MiB" --ingest-buffer "${ingest_mib}MiB" \
  --answer-buffer "${answer_mib}MiB" --push-interval "${push_ms}ms" \
  --stall-timeout "${stall_s}s" --max-clients 1000 2>"$log" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

port=
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "soak: FAILED: spider did not start; its log:" >&2
  cat "$log" >&2
  exit 1
fi
idle_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
echo "soak: spider pid $pid on port $port, idle RSS $((idle_kib / 1024)) MiB; ${seconds} s of load"

status=0
"$load" --server "127.0.0.1:$port" --duration "${seconds}s" --pid "$pid" \
  --posters 100 --series 20 --samples 100 --post-rate 1 \
  --live 20 --slow 20 --stalled 200 --rcvbuf 4KiB --slow-rate 16KiB --probe-interval 500ms \
  --json "$build/soak.json" \
  --check-posts --check-ticks "${probe_checks[@]}" \
  --check-stall-close "${stall_close_s}s" "${rss_checks[@]}" || status=$?

# The server must have survived and must stop cleanly (a crash or a
# sanitizer report after the load is a failure too).
if ! kill -0 "$pid" 2>/dev/null; then
  echo "soak: FAILED: spider exited during the run; its log:" >&2
  cat "$log" >&2
  status=1
else
  kill -TERM "$pid"
  exit_code=0
  wait "$pid" || exit_code=$?
  if [ "$exit_code" != 0 ]; then
    echo "soak: FAILED: spider exited with $exit_code on SIGTERM; its log:" >&2
    cat "$log" >&2
    status=1
  fi
fi
if [ "$status" = 0 ]; then
  echo "soak: PASSED (figures in $build/soak.json)"
else
  echo "soak: FAILED (status $status; figures in $build/soak.json; the failing checks are above)"
  [ "$status" = 1 ] || status=1
fi
exit "$status"
