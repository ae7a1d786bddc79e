#!/usr/bin/env bash
# HTTP ingest end to end: wrk posts the same batch over keep-alive connections
# to a fresh spider; prints requests/s, MB/s and samples/s per batch size.
# Usage: bench/http_ingest.sh path/to/spider [seconds]
# With TLS=1, over HTTPS (a self-signed certificate made here with openssl).
set -euo pipefail
spider=$1
seconds=${2:-10}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

scheme=http
tls_args=()
if [ "${TLS:-0}" = 1 ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$dir/key.pem" \
    -out "$dir/cert.pem" -days 1 -subj /CN=127.0.0.1 2>/dev/null
  scheme=https
  tls_args=(--tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem")
fi
"$spider" --listen 127.0.0.1:0 --statsd-listen off --otlp-listen off --max-body 8MiB "${tls_args[@]}" 2>"$dir/log" &
pid=$!
for _ in $(seq 50); do
  port=$(grep -o "listening on $scheme://127.0.0.1:[0-9]*" "$dir/log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "spider did not start"; cat "$dir/log"; exit 1; }

for size in 65536 1048576; do
  # 20 series, durations like 12.345; samples stamped with the receive time.
  node -e '
    const size = Number(process.argv[1]);
    const per = Math.floor(size / 20 / 7);
    const parts = [];
    let n = 0;
    for (let s = 0; s < 20; s++) {
      const v = [];
      for (let i = 0; i < per; i++) { v.push((1 + ((i * 7919 + s * 104729) % 99999) / 1000).toFixed(3)); n++; }
      parts.push(JSON.stringify("bench.series." + s) + ":[" + v.join(",") + "]");
    }
    const body = "{" + parts.join(",") + "}";
    require("fs").writeFileSync(process.argv[2], body);
    require("fs").writeFileSync(process.argv[2] + ".n", String(n));
  ' "$size" "$dir/body.json"
  samples=$(cat "$dir/body.json.n")
  bytes=$(stat -c %s "$dir/body.json")
  cat >"$dir/post.lua" <<LUA
local f = io.open("$dir/body.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d\n", summary.requests, summary.duration, summary.errors.status + summary.errors.read + summary.errors.write + summary.errors.connect + summary.errors.timeout))
end
LUA
  for conns in 1 4; do
    out=$(wrk -t1 -c"$conns" -d"${seconds}s" -s "$dir/post.lua" "$scheme://127.0.0.1:$port/api/v1/points")
    read -r _ reqs dur_us errors <<<"$(grep RESULT <<<"$out")"
    awk -v r="$reqs" -v d="$dur_us" -v s="$samples" -v b="$bytes" -v c="$conns" -v e="$errors" \
      -v tls="$([ "$scheme" = https ] && echo ' (TLS)')" 'BEGIN {
      t = d / 1e6;
      printf "http_ingest%s batch=%dKiB conns=%d: %.0f req/s, %.1f MB/s, %.2f M samples/s (errors %d)\n",
             tls, b / 1024, c, r / t, r * b / t / 1e6, r * s / t / 1e6, e }'
  done
done
echo "server RSS after the run: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status), peak $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
