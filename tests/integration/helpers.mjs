// Shared helpers of the integration tests: start the real spider binary on an
// ephemeral loopback port, talk HTTP to it (also byte by byte, for hostile
// clients), and stop it.
import { spawn } from 'node:child_process';
import net from 'node:net';

export const BIN = process.env.SPIDER_BIN;
if (!BIN) throw new Error('SPIDER_BIN must name the spider binary (ctest sets it)');

// Starts spider with extra args; resolves once it logs its URL.
export function startSpider(args = [], env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['--listen', '127.0.0.1:0', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const timer = setTimeout(() => reject(new Error(`spider did not start: ${log}`)), 10000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m && !proc.port) {
        clearTimeout(timer);
        proc.port = Number(m[1]);
        resolve({
          proc,
          port: proc.port,
          url: `http://127.0.0.1:${proc.port}`,
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

// POSTs a JSON body (string or object); resolves {status, body, json}.
export async function post(base, body, headers = {}) {
  const text = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  let res;
  try {
    res = await fetch(`${base}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: text,
      signal: AbortSignal.timeout(20000),
    });
  } catch (e) {
    // fetch says only "fetch failed": name the cause (reset, refused, ...)
    throw new Error(`POST ${base}/api/v1/points (${text.length} bytes): ${e.message}: ${e.cause?.code ?? ''} ${e.cause?.message ?? ''}`);
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
export class RawConn {
  constructor(port) {
    this.sock = net.connect(port, '127.0.0.1');
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
    return new Promise((resolve) => this.sock.once('connect', resolve));
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
