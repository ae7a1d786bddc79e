#!/usr/bin/env bash
# make bench: every micro-benchmark of the build, then HTTP ingest end to end.
# Prints figures only; compare ratios measured in the same run (shared machine).
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for b in "$build"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
echo "== http_ingest (wrk, keep-alive, one server thread)"
bash bench/http_ingest.sh "$build/spider"
echo "== rss under hostile posting patterns"
node bench/rss.mjs "$build/spider"
echo "== spider-load: ingest (1/4/16 posters, 64 KiB and 1 MiB batches) and live fan-out"
bash bench/load.sh "$build" 10
# StatsD and OTLP need the server's receivers; until a build has them these
# say so and the rest of the benchmarks still run.
echo "== spider-load: StatsD over UDP (1 and 20 lines a datagram flat out, 20 paced at 4M lines/s)"
bash bench/statsd.sh "$build" 10 || echo "(statsd benchmark not run: see above)"
echo "== spider-load: OTLP/HTTP traces (1 and 4 posters x 512 spans, 1 x 64)"
bash bench/otlp.sh "$build" 10 || echo "(otlp benchmark not run: see above)"
echo "== the dashboard in headless Chromium (one panel of 180,000 points; ten panels)"
node bench/dashboard.mjs "$build/spider" 20
