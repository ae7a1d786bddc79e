// modes_check.mjs SPIDER_LOAD - spider-load's StatsD and OTLP modes end to end
// against receivers of this script's own, which also serve the /metrics
// counters the real server will (the CTest entry load/modes):
//
// - StatsD: a UDP receiver counts datagrams and lines and checks each line's
//   form; spider-load paces 20,000 lines/s, 20 a datagram, for 2 s. Checked:
//   the rate, the line and datagram counts on both sides, "received" from
//   /metrics equal to what the receiver counted, the loss check passing.
// - OTLP: an HTTP server answers POST /v1/traces: 200 with an empty body,
//   200 with partial_success rejected_spans = 2 (every 5th), or 503 (every
//   7th), counting spans with the OpenTelemetry SDK's protobuf reader.
//   Checked: requests and statuses, spans, the rejected sum, the server's
//   accepted count read back through /metrics, one connection per poster
//   (a 503 does not close it).
// - --source-ips: dashboards connect from 127.0.0.1 .. 127.0.0.N in turn
//   (seen by a TCP server here); a server off loopback is refused (exit 2).
// Prints "modes_check: N passed, 0 failed" or the first mismatch, exit 1.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { ProtobufReader } = require(
  '@opentelemetry/otlp-transformer/build/src/common/protobuf/protobuf-reader',
);

const bin = process.argv[2];
if (!bin) {
  console.error('usage: node modes_check.mjs path/to/spider-load');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'modes-check-'));
let passed = 0;
function check(cond, what) {
  if (!cond) {
    console.error(`modes_check: FAILED: ${what}`);
    console.error(`modes_check: ${passed} passed, 1 failed`);
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }
  passed++;
}

function run(args) {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });
}

function listen(server, ...args) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', ...args, () => resolve(server.address().port)));
}

function metricsServer(body) {
  return http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    // A Content-Length, as the server sends (spider-load refuses chunked).
    const text = body();
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  });
}

// ---- StatsD ----
async function statsd() {
  const sock = dgram.createSocket('udp4');
  let datagrams = 0;
  let lines = 0;
  let bad = null;
  const perSeries = new Map();
  sock.on('message', (msg) => {
    datagrams++;
    const ls = msg.toString().split('\n');
    if (ls.length !== 20) bad = bad || `a datagram of ${ls.length} lines`;
    for (const l of ls) {
      const m = /^chk\.s(\d+):\d{1,3}\.\d{3}\|ms\|#env:load,shard:(\d)$/.exec(l);
      if (!m || Number(m[2]) !== Number(m[1]) % 8) bad = bad || `line ${JSON.stringify(l)}`;
      else perSeries.set(m[1], (perSeries.get(m[1]) || 0) + 1);
      lines++;
    }
  });
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const udpPort = sock.address().port;
  const metrics = metricsServer(
    () =>
      '# TYPE spider_samples_accepted_total counter\n' +
      `spider_samples_accepted_total{protocol="http"} 7\n` +
      `spider_samples_accepted_total{protocol="statsd"} ${lines}\n` +
      'spider_statsd_kernel_drops_total{socket="udp"} 0\n',
  );
  const httpPort = await listen(metrics);
  const json = join(dir, 'statsd.json');
  const r = await run(['--statsd', `127.0.0.1:${udpPort}`, '--server', `127.0.0.1:${httpPort}`,
    '--statsd-lines', '20', '--statsd-rate', '20000', '--statsd-series', '50', '--statsd-tags',
    '--prefix', 'chk', '--duration', '2s', '--quiet', '--json', json, '--check-statsd-loss', '0.01']);
  sock.close();
  metrics.close();
  check(r.code === 0, `spider-load exits 0 (got ${r.code}):\n${r.out}`);
  check(bad === null, `every datagram 20 well-formed lines (${bad})`);
  const s = JSON.parse(readFileSync(json)).statsd;
  check(s.lines === s.datagrams * 20, 'lines = 20 x datagrams');
  check(Math.abs(s.lines_per_s - 20000) < 1000, `paced at 20,000 lines/s (got ${s.lines_per_s})`);
  check(Math.abs(s.datagrams - 2000) <= 100, `about 2,000 datagrams in 2 s (got ${s.datagrams})`);
  check(s.send_errors === 0, `no send errors (got ${s.send_errors})`);
  check(datagrams >= s.datagrams * 0.99, `the receiver got them (${datagrams} of ${s.datagrams})`);
  check(s.received_lines === lines, `received from /metrics ${s.received_lines} = counted ${lines}`);
  check(s.kernel_drops === 0, 'kernel drops read as 0');
  check(s.loss <= 0.01 && s.loss === 1 - lines / s.lines, `loss ${s.loss}`);
  check(perSeries.size === 50, `50 series (got ${perSeries.size})`);
  const counts = [...perSeries.values()];
  check(Math.max(...counts) - Math.min(...counts) <= 20, 'the series equally often, to a datagram');
}

// ---- OTLP ----
function countSpans(body) {
  let n = 0;
  const fields = (bytes, f) => {
    const r = new ProtobufReader(bytes);
    while (!r.isAtEnd()) {
      const { fieldNumber, wireType } = r.readTag();
      if (wireType === 2) f(fieldNumber, r.readBytes());
      else r.skip(wireType);
    }
  };
  fields(body, (n1, rs) =>
    n1 === 1 && fields(rs, (n2, ss) => n2 === 2 && fields(ss, (n3) => (n += n3 === 2))),
  );
  return n;
}

async function otlp() {
  let requests = 0;
  let ok = 0;
  let partial = 0;
  let unavailable = 0;
  let accepted = 0;
  let spans = 0;
  let badType = 0;
  let connections = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      const text = `spider_samples_accepted_total{protocol="otlp"} ${accepted}\n`;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': text.length });
      res.end(text);
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const n = requests++;
      if (req.method !== 'POST' || req.url !== '/v1/traces' ||
        req.headers['content-type'] !== 'application/x-protobuf')
        badType++;
      const k = countSpans(new Uint8Array(Buffer.concat(chunks)));
      spans += k;
      // With a Content-Length, as Spider and the OTLP collector answer
      // (spider-load counts a chunked answer as bad_answer).
      const answer = (status, bytes) =>
        res
          .writeHead(status, {
            'Content-Type': 'application/x-protobuf',
            'Content-Length': bytes.length,
          })
          .end(bytes);
      if (n % 7 === 3) {
        unavailable++;
        answer(503, Buffer.alloc(0));
      } else if (n % 5 === 1) {
        partial++;
        accepted += k - 2;
        // partial_success(1) { rejected_spans(1) = 2, error_message(2) = "no" }
        answer(200, Buffer.from([0x0a, 0x06, 0x08, 0x02, 0x12, 0x02, 0x6e, 0x6f]));
      } else {
        ok++;
        accepted += k;
        answer(200, Buffer.alloc(0));
      }
    });
  });
  server.on('connection', () => connections++);
  const port = await listen(server);
  const json = join(dir, 'otlp.json');
  const r = await run(['--otlp-posters', '2', '--otlp-server', `127.0.0.1:${port}`, '--otlp-spans',
    '64', '--otlp-services', '3', '--otlp-names', '5', '--otlp-rate', '20', '--duration', '2s',
    '--quiet', '--json', json]);
  server.close();
  check(r.code === 0, `spider-load exits 0 (got ${r.code}):\n${r.out}`);
  const o = JSON.parse(readFileSync(json)).otlp;
  check(badType === 0, 'every request a POST /v1/traces of application/x-protobuf');
  check(Math.abs(requests - 80) <= 6, `about 2 x 20 x 2 = 80 requests (got ${requests})`);
  check(spans === requests * 64, `64 spans a request (${spans} in ${requests})`);
  check(o.ok + o.failed === requests, `answers ${o.ok} + ${o.failed} = requests ${requests}`);
  check(o.status['200'] === ok + partial, `200 answers ${o.status['200']} = ${ok + partial}`);
  check((o.status['503'] || 0) === unavailable, `503 answers ${o.status['503']} = ${unavailable}`);
  check(o.failed === unavailable, 'the 503s are the only failures');
  check(o.spans_ok === (ok + partial) * 64, `spans in 200 answers ${o.spans_ok}`);
  check(o.spans_rejected === partial * 2, `rejected ${o.spans_rejected} = 2 x ${partial}`);
  check(o.server_accepted_spans === accepted, `/metrics accepted ${o.server_accepted_spans} = ${accepted}`);
  // One connection per poster, and one for each /metrics read (2).
  check(o.connects === 2, `the posters kept their connections (connects ${o.connects})`);
  check(connections === 4, `2 posters + 2 /metrics reads connected (got ${connections})`);
}

// ---- --source-ips ----
async function sourceIps() {
  const from = new Map();
  const server = net.createServer((sock) => {
    from.set(sock.remoteAddress, (from.get(sock.remoteAddress) || 0) + 1);
    sock.on('error', () => {});
    sock.destroy(); // a refused handshake: only the source address matters here
  });
  const port = await listen(server);
  const r = await run(['--server', `127.0.0.1:${port}`, '--duration', '1s', '--live', '8',
    '--source-ips', '4', '--probe-interval', '0ms', '--quiet']);
  server.close();
  // Every connection takes the next address (the /metrics reads too).
  const seen = [...from.entries()].sort();
  const counts = seen.map(([, n]) => n);
  check(seen.map(([a]) => a).join(' ') === '127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4' &&
    Math.min(...counts) >= 2 && Math.max(...counts) - Math.min(...counts) <= 1,
    `8 dashboards from 4 source addresses in turn (got ${seen.join(' ')}; ${r.out})`);
  const off = await run(['--server', '10.255.255.1:9', '--source-ips', '4', '--duration', '1s']);
  check(off.code === 2 && /--source-ips needs a --server on 127\.0\.0\.0\/8/.test(off.out),
    `--source-ips off loopback exits 2 (got ${off.code}: ${off.out})`);
}

await statsd();
await otlp();
await sourceIps();
rmSync(dir, { recursive: true, force: true });
console.log(`modes_check: ${passed} passed, 0 failed`);
