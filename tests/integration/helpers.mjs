// Shared helpers of the integration tests: start the real spider binary on an
// ephemeral loopback port, talk HTTP to it (also byte by byte, for hostile
// clients), and stop it.
import { spawn } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';

export const BIN = process.env.SPIDER_BIN;
if (!BIN) throw new Error('SPIDER_BIN must name the spider binary (ctest sets it)');

// Starts spider with extra args; resolves once it logs its URL. StatsD and
// the OTLP port listen on ephemeral ports unless args say otherwise
// (statsdPort, otlpPort).
export function startSpider(args = [], env = {}) {
  return new Promise((resolve, reject) => {
    const statsd = args.includes('--statsd-listen') ? [] : ['--statsd-listen', '127.0.0.1:0'];
    const otlp = args.includes('--otlp-listen') ? [] : ['--otlp-listen', '127.0.0.1:0'];
    const proc = spawn(BIN, ['--listen', '127.0.0.1:0', ...statsd, ...otlp, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const timer = setTimeout(() => reject(new Error(`spider did not start: ${log}`)), 10000);
    proc.stderr.on('data', (d) => {
      log += d;
      // https:// when spider serves TLS (--tls-cert)
      const m = log.match(/listening on (https?):\/\/127\.0\.0\.1:(\d+)\//);
      if (m && !proc.port) {
        clearTimeout(timer);
        proc.port = Number(m[2]);
        const udp = log.match(/statsd listening on udp:\/\/127\.0\.0\.1:(\d+)/);
        const otlpPort = log.match(/OTLP\/HTTP receiver at https?:\/\/127\.0\.0\.1:(\d+)/);
        resolve({
          proc,
          port: proc.port,
          statsdPort: udp ? Number(udp[1]) : undefined,
          otlpPort: otlpPort ? Number(otlpPort[1]) : undefined,
          url: `${m[1]}://127.0.0.1:${proc.port}`,
          log: () => log,
          stop: () => stopSpider(proc),
        });
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!proc.port) reject(new Error(`spider exited ${code}: ${log}`));
      // A crash (or a sanitizer report) must be visible in the test output.
      else if (signal !== 'SIGTERM' && (code !== 0 || signal))
        console.error(`spider exited with ${code ?? signal}; its log:\n${log}`);
    });
  });
}

// SIGTERM, then resolves with the exit code (SIGKILL after 10 s).
export function stopSpider(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10000);
    proc.once('exit', (code, signal) => {
      clearTimeout(kill);
      resolve(code ?? signal);
    });
    proc.kill('SIGTERM');
  });
}

// POSTs a JSON body (string or object) to path (the points API by default);
// resolves {status, body, json}. Header names are case-insensitive.
export async function post(base, body, headers = {}, path = '/api/v1/points') {
  const text = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  let res;
  try {
    res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...lower },
      body: text,
      signal: AbortSignal.timeout(20000),
    });
  } catch (e) {
    // fetch says only "fetch failed": name the cause (reset, refused, ...)
    throw new Error(`POST ${base}${path} (${text.length} bytes): ${e.message}: ${e.cause?.code ?? ''} ${e.cause?.message ?? ''}`);
  }
  return answer(res);
}

export async function get(base, path) {
  return answer(await fetch(`${base}${path}`, { signal: AbortSignal.timeout(20000) }));
}

async function answer(res) {
  const body = await res.text();
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body, json };
}

// A raw keep-alive HTTP/1.1 connection: send bytes, read whole responses.
// With tlsOptions (e.g. {ca}), over TLS (node:tls).
export class RawConn {
  constructor(port, tlsOptions) {
    this.sock = tlsOptions ? tls.connect({ host: '127.0.0.1', port, ...tlsOptions }) : net.connect(port, '127.0.0.1');
    this.connectEvent = tlsOptions ? 'secureConnect' : 'connect';
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.waiters = [];
    this.sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      this.wake();
    });
    this.sock.on('error', () => {});
  }
  ready() {
    return new Promise((resolve) => this.sock.once(this.connectEvent, resolve));
  }
  wake() {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
  write(data) {
    return new Promise((resolve) => this.sock.write(data, resolve));
  }
  // Resolves the next complete response {status, headers, body}, or null if closed first.
  async response(timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString('latin1');
        const lines = head.split('\r\n');
        const status = Number(lines[0].split(' ')[1]);
        const headers = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const len = Number(headers['content-length'] ?? 0);
        if (this.buf.length >= end + 4 + len) {
          const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
          this.buf = this.buf.subarray(end + 4 + len);
          return { status, headers, body };
        }
      }
      if (this.closed) return null;
      if (Date.now() > deadline) throw new Error('timed out waiting for a response');
      await new Promise((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  // Resolves once the server closed the connection (or rejects after timeoutMs).
  async closedWithin(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }
  destroy() {
    this.sock.destroy();
  }
}

export function postRequest(body, extraHeaders = '') {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return Buffer.concat([
    Buffer.from(
      `POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${b.length}\r\n${extraHeaders}\r\n`,
    ),
    b,
  ]);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Nearest-rank quantile, the definition Spider's percentiles approximate.
export function exactQuantile(sorted, q) {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

// Deterministic lognormal-ish durations.
export function durations(n, seed) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out = [];
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    out.push(Math.round(Math.exp(3 + 0.8 * g) * 1000) / 1000);
  }
  return out;
}

// The value of one sample of /metrics, e.g. metric(url, 'spider_statsd_lines_total')
// or metric(url, 'spider_samples_accepted_total{protocol="statsd"}'); 0 if absent.
export async function metric(base, sample) {
  const text = (await get(base, '/metrics')).body;
  for (const line of text.split('\n'))
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  return 0;
}

// Polls fn() until it returns a truthy value; fails after ms with what.
export async function waitFor(fn, what, ms = 20000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// Checks a series' summary against the exact figures of its samples: count
// and sum exact (sum to rounding), percentiles within 1% of nearest-rank.
export function assertSummaryMatches(assert, summary, samples, what) {
  const sorted = [...samples].sort((a, b) => a - b);
  assert.equal(summary.count, sorted.length, `${what}: count`);
  const sum = sorted.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(summary.sum - sum) <= 1e-6 * Math.max(1, sum), `${what}: sum ${summary.sum} vs ${sum}`);
  assert.equal(summary.min, sorted[0], `${what}: min`);
  assert.equal(summary.max, sorted[sorted.length - 1], `${what}: max`);
  for (const [key, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]]) {
    const exact = exactQuantile(sorted, q);
    assert.ok(Math.abs(summary[key] - exact) <= 0.01 * exact, `${what}: ${key} ${summary[key]} vs exact ${exact}`);
  }
}
