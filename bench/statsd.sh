#!/usr/bin/env bash
# bench/statsd.sh BUILD [SECONDS] - StatsD ingest over UDP and over a Unix
# datagram socket (DogStatsD UDS), measured with spider-load: a fresh
# BUILD/spider pinned to CPU 0 (taskset -c 0) with --listen 127.0.0.1:0 and
# --statsd-listen 127.0.0.1:0 (or --statsd-unix PATH), spider-load pinned to
# CPU 1, for each transport and each of
#   1 line a datagram, flat out;
#   20 lines a datagram, flat out;
#   20 lines a datagram, paced at 4,000,000 lines/s;
# Why both: over loopback UDP the sender's CPU also pays the kernel's
# delivery of every datagram, and on a 2-vCPU machine it runs out first;
# over a Unix socket sending is cheaper, so the server's core is what binds
# (and a full socket blocks the sender instead of dropping: loss is 0 by
# construction there, the figure is the rate).
# prints lines/s sent and received (the server's
# spider_samples_accepted_total{protocol="statsd"}), loss, kernel drops
# (spider_statsd_kernel_drops_total) and the server's CPU (average of the
# per-second samples, % of one core). Fails, saying why, when the server has
# no StatsD listener.
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
cd "$(dirname "$0")/.."
spider="$build/spider"
load="$build/spider-load"
json=$(mktemp)
log=$(mktemp)
sock=$(mktemp -u /tmp/spider-bench-statsd.XXXXXX)
pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; pid=; }
trap 'stop; rm -f "$json" "$log" "$sock"' EXIT

[ -x "$spider" ] && [ -x "$load" ] || { echo "statsd bench: no $spider or $load (build first)" >&2; exit 1; }
if ! grep -q -- '--statsd-listen' <<<"$("$spider" --help 2>&1)"; then
  echo "statsd bench: spider has no --statsd-listen (the StatsD listener is not built in)" >&2
  exit 1
fi

# Starts the server for transport $1 (udp or unix); sets http_port and
# target (spider-load's --statsd or --statsd-unix argument) from its log, e.g.
#   spider: listening on http://127.0.0.1:PORT/ (spider 0.1.0; ...)
#   statsd listening on udp://127.0.0.1:PORT   (or unix://PATH)
start() {
  local statsd_args
  if [ "$1" = unix ]; then
    rm -f "$sock"
    statsd_args=(--statsd-listen off --statsd-unix "$sock")
  else
    statsd_args=(--statsd-listen 127.0.0.1:0)
  fi
  taskset -c 0 "$spider" --listen 127.0.0.1:0 "${statsd_args[@]}" --otlp-listen off 2>"$log" &
  pid=$!
  http_port= target=
  for _ in $(seq 100); do
    http_port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$log" | head -1)
    # (grep finds nothing while the log is still empty: under pipefail
    # that would end the script, silently, after its first line)
    if [ "$1" = unix ]; then
      if grep -q "statsd listening on unix://$sock" "$log"; then target=$sock; fi
    else
      target=$({ grep -i 'statsd' "$log" || true; } | sed -n 's|.*udp://\(127\.0\.0\.1:[0-9][0-9]*\).*|\1|p' | head -1)
    fi
    [ -n "$http_port" ] && [ -n "$target" ] && return
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "statsd bench: spider exited at start:" >&2
      cat "$log" >&2
      pid=
      exit 1
    fi
    sleep 0.1
  done
  echo "statsd bench: no 'listening on http://127.0.0.1:PORT' and 'statsd listening on $1://...' in spider's log after 10 s:" >&2
  cat "$log" >&2
  exit 1
}

field() { node -e "const d=JSON.parse(require('fs').readFileSync('$json'));const v=($1);console.log(v===null||v===undefined?'n/a':v)"; }

for transport in udp unix; do
  if [ "$transport" = unix ]; then flag=--statsd-unix; else flag=--statsd; fi
  echo "== statsd over $transport (spider on CPU 0, spider-load on CPU 1; ${seconds} s each)"
  for run in "1 0" "20 0" "20 4000000"; do
    read -r lines rate <<<"$run"
    start "$transport"
    taskset -c 1 "$load" "$flag" "$target" --server "127.0.0.1:$http_port" \
      --statsd-lines "$lines" --statsd-rate "$rate" --duration "${seconds}s" --pid "$pid" \
      --quiet --json "$json" >/dev/null
    what=$([ "$rate" = 0 ] && echo "flat out" || echo "paced at $rate lines/s")
    echo "statsd $transport lines/datagram=${lines} ${what}:" \
      "sent $(field 'Math.round(d.statsd.lines_per_s)') lines/s ($(field 'Math.round(d.statsd.datagrams_per_s)') datagrams/s," \
      "send errors $(field 'd.statsd.send_errors'))," \
      "received $(field 'd.statsd.received_lines_per_s===null?null:Math.round(d.statsd.received_lines_per_s)') lines/s," \
      "loss $(field 'd.statsd.loss===null?null:(d.statsd.loss*100).toFixed(2)+"%"')," \
      "kernel drops $(field 'd.statsd.kernel_drops')," \
      "server CPU $(field 'd.server_process.cpu_avg_pct.toFixed(0)')% of a core" \
      "(spider-load's sender $(field '(d.statsd.sender_cpu_s/d.statsd.seconds*100).toFixed(0)')%)"
    stop
  done
done
