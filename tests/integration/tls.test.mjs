// TLS on the main port (--tls-cert, --tls-key): a self-signed certificate
// made here with the openssl CLI, trusted by the clients as their only CA
// (so the tests also check that Spider serves the chain it was given).
// HTTPS ingest and query, WSS live pushes, HSTS on every answer, plain HTTP
// refused, bad files refused at start, stalled handshakes closed without
// holding anyone else up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { BIN, RawConn, startSpider, sleep, waitFor } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');

let dir, cert, key, ca;

// A key and a certificate for 127.0.0.1 and localhost; `name` picks the files.
function makeCert(name) {
  const k = path.join(dir, `${name}.key`);
  const c = path.join(dir, `${name}.crt`);
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', k, '-out', c, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl req: ${r.stderr}`);
  return { key: k, cert: c };
}

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spider-tls-'));
  ({ key, cert } = makeCert('spider'));
  ca = readFileSync(cert);
});

after(() => rmSync(dir, { recursive: true, force: true }));

const tlsArgs = () => ['--tls-cert', cert, '--tls-key', key];

// One HTTPS request trusting only our certificate; resolves {status, headers, body, json}.
function request(port, method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method, path: p, ca, headers, agent: false, timeout: 20000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, body: text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${p}: timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// With a Content-Length: node would send the body chunked, which Spider answers 411.
function postPoints(port, obj) {
  const body = JSON.stringify(obj);
  return request(port, 'POST', '/api/v1/points', body, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
}

// Runs spider to its exit (it must not start); resolves {status, stderr}.
function runToExit(args, env = {}) {
  const r = spawnSync(BIN, ['--listen', '127.0.0.1:0', '--statsd-listen', 'off', '--otlp-listen', 'off', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: r.status, stderr: r.stderr };
}

test('HTTPS: the URL logged says https, points posted come back, HSTS on every answer', async () => {
  const s = await startSpider(tlsArgs());
  try {
    assert.match(s.log(), /listening on https:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(s.url, `https://127.0.0.1:${s.port}`);
    const r = await postPoints(s.port, { 'tls.checkout': [5, 10, 15] });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.accepted, 3);
    const q = await request(s.port, 'GET', '/api/v1/series/tls.checkout');
    assert.equal(q.status, 200, q.body);
    assert.equal(q.json.summary.count, 3);
    assert.equal(q.json.summary.max, 15);
    // Answers of every kind: ingest, query, an error, the dashboard, /metrics.
    const notFound = await request(s.port, 'GET', '/no/such/path');
    assert.equal(notFound.status, 404);
    const page = await request(s.port, 'GET', '/');
    assert.equal(page.status, 200);
    const metrics = await request(s.port, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    for (const a of [r, q, notFound, page, metrics])
      assert.equal(a.headers['strict-transport-security'], 'max-age=31536000');
  } finally {
    await s.stop();
  }
});

test('--hsts-max-age sets the max-age; plain HTTP has no HSTS header', async () => {
  const s = await startSpider([...tlsArgs(), '--hsts-max-age', '1h']);
  try {
    const r = await request(s.port, 'GET', '/healthz');
    assert.equal(r.headers['strict-transport-security'], 'max-age=3600');
  } finally {
    await s.stop();
  }
  const plain = await startSpider();
  try {
    const r = await fetch(`${plain.url}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('strict-transport-security'), null);
  } finally {
    await plain.stop();
  }
});

test('the certificate and key can come from SPIDER_TLS_CERT and SPIDER_TLS_KEY', async () => {
  const s = await startSpider([], { SPIDER_TLS_CERT: cert, SPIDER_TLS_KEY: key });
  try {
    const r = await request(s.port, 'GET', '/healthz');
    assert.equal(r.status, 200);
  } finally {
    await s.stop();
  }
});

test('ALPN: only http/1.1 is offered, also to a client that prefers h2', async () => {
  const s = await startSpider(tlsArgs());
  try {
    const proto = await new Promise((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port: s.port, ca, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
        resolve(c.alpnProtocol);
        c.end();
      });
      c.on('error', reject);
    });
    assert.equal(proto, 'http/1.1');
  } finally {
    await s.stop();
  }
});

// One OTLP/JSON span request body (service "tls-hand").
function spanBody(name) {
  const end = BigInt(Date.now()) * 1000000n;
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'tls-hand' } }] },
      scopeSpans: [{ spans: [{ name, startTimeUnixNano: String(end - 2000000n), endTimeUnixNano: String(end) }] }],
    }],
  });
}

test('the OTLP port serves TLS too: the SDK exporter over https (chunked bodies), plain HTTP refused', async () => {
  const s = await startSpider(tlsArgs());
  try {
    assert.match(s.log(), /OTLP\/HTTP receiver at https:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
    const url = `https://127.0.0.1:${s.otlpPort}/v1/traces`;
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'tls-sdk' }),
      spanProcessors: [new BatchSpanProcessor(new ProtoExporter({ url, httpAgentOptions: { ca } }), { maxExportBatchSize: 100 })],
    });
    const tracer = provider.getTracer('spider-tls-test');
    for (let i = 0; i < 250; i++) tracer.startSpan('tls span').end();
    await provider.forceFlush();
    await provider.shutdown();
    const q = await request(s.port, 'GET', `/api/v1/series/${encodeURIComponent('tls span{service="tls-sdk"}')}`);
    assert.equal(q.status, 200, q.body);
    assert.equal(q.json.summary.count, 250);
    // Plain HTTP to the OTLP port: closed, nothing applied.
    const body = spanBody('plain span');
    const r = await rawExchange(s.otlpPort, `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    assert.ok(r.closed);
    assert.ok(!r.data.toString('latin1').includes('HTTP/1.1'), 'no answer in the clear');
    const none = await request(s.port, 'GET', `/api/v1/series/${encodeURIComponent('plain span{service="tls-hand"}')}`);
    assert.equal(none.status, 404);
  } finally {
    await s.stop();
  }
});

// The OTLP port reads through lws' TLS layer, which may hold decrypted
// bytes the socket no longer shows: 2,000 requests in one write must all
// be answered, in order, while reading pauses behind each answer.
test('the OTLP port over TLS: 2,000 pipelined requests in one write, 2,000 answers', async () => {
  const s = await startSpider([...tlsArgs(), '--header-timeout', '1s']);
  try {
    const N = 2000;
    const body = spanBody('tls piped');
    const req = 'POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const conn = new RawConn(s.otlpPort, { ca });
    await conn.ready();
    conn.write(req.repeat(N));
    let ok = 0;
    for (let i = 0; i < N; i++) {
      const r = await conn.response(20000);
      assert.ok(r, `answer ${i} of ${N} (the connection closed)`);
      if (r.status === 200 && r.headers['strict-transport-security'] === 'max-age=31536000') ok++;
    }
    assert.equal(ok, N);
    // The connection stays open for keep-alive (--keepalive-timeout), past
    // the --header-timeout lws gave it at the end of its handshake.
    await sleep(2500);
    conn.write(req);
    assert.equal((await conn.response(20000))?.status, 200);
    conn.destroy();
    const q = await request(s.port, 'GET', `/api/v1/series/${encodeURIComponent('tls piped{service="tls-hand"}')}`);
    assert.equal(q.json.summary.count, N + 1);
  } finally {
    await s.stop();
  }
});

// Opens a WSS client; resolves {ws, messages} once open.
function connectWss(port, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca, ...opts });
    const messages = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    ws.on('open', () => resolve({ ws, messages }));
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body })));
    });
    ws.on('error', reject);
  });
}

test('WSS: the live stream pushes what is posted over HTTPS; only https Origins of this server are same-origin', async () => {
  const s = await startSpider([...tlsArgs(), '--push-interval', '200ms']);
  try {
    const { ws, messages } = await connectWss(s.port, { origin: `https://127.0.0.1:${s.port}` });
    await waitFor(() => messages.length >= 1, 'hello');
    assert.equal(messages[0].type, 'hello');
    ws.send(JSON.stringify({ subscribe: ['wss.series'] }));
    const r = await postPoints(s.port, { 'wss.series': [7, 8, 9] });
    assert.equal(r.json.accepted, 3);
    const rowOf = (m) => m.summary?.rows.find((row) => row[0] === 'wss.series');
    await waitFor(() => messages.some((m) => rowOf(m)?.[2] === 3), 'a pushed summary with the posted count');
    ws.close();
    // A foreign Origin is refused with a JSON reason, over TLS, with HSTS.
    const refused = await connectWss(s.port, { origin: 'https://evil.example' }).then(
      () => assert.fail('a foreign Origin was let in'),
      (e) => e,
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['strict-transport-security'], 'max-age=31536000');
    assert.match(refused.body, /Origin not allowed/);
    // Over TLS a plain-HTTP page of this very host is not same-origin.
    const plainPage = await connectWss(s.port, { origin: `http://127.0.0.1:${s.port}` }).then(
      () => assert.fail('an http:// Origin was let in over TLS'),
      (e) => e,
    );
    assert.equal(plainPage.status, 403);
  } finally {
    await s.stop();
  }
});

// A WSS client that completes the upgrade and then never reads.
function stalledWss(port) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      sock.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      sock.once('data', (d) => {
        sock.pause(); // from now on the buffers fill up: the kernel's, then lws'
        if (!d.toString('latin1').startsWith('HTTP/1.1 101')) reject(new Error(`no upgrade: ${d}`));
        resolve(sock);
      });
    });
    sock.on('error', () => {});
  });
}

test('WSS: clients that stop reading are cut off after --stall-timeout; a live one keeps every tick', async () => {
  const s = await startSpider([...tlsArgs(), '--push-interval', '250ms', '--stall-timeout', '2s']);
  try {
    // ~150 KB updates (1,500 long names): a client that does not read fills its buffers in a few ticks.
    const batch = {};
    for (let i = 0; i < 1500; i++) batch[`wss.stall.series.with.a.long.name.${String(i).padStart(5, '0')}`] = [i % 50];
    assert.equal((await postPoints(s.port, batch)).json.accepted, 1500);
    const live = await connectWss(s.port);
    const stalled = await Promise.all(Array.from({ length: 10 }, () => stalledWss(s.port)));
    let metrics = '';
    await waitFor(async () => {
      metrics = (await request(s.port, 'GET', '/metrics')).body;
      return /spider_ws_stall_closes_total 10\n/.test(metrics) && /spider_ws_clients 1\n/.test(metrics);
    }, 'every stalled WSS client closed', 30000);
    const seqs = live.messages.filter((x) => x.type === 'update').map((x) => x.seq);
    assert.ok(seqs.length >= 4, `${seqs.length} updates for the live client`);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, 'the live client missed no tick');
    live.ws.close();
    stalled.forEach((x) => x.destroy());
  } finally {
    await s.stop();
  }
});

// Spider tells a pipelined body from a fresh one by the socket's byte
// counts (docs/architecture.md); over TLS those count ciphertext, and the
// answers must be what they are without TLS.
test('keep-alive over TLS: uploads one after another are all read; a pipelined one gets the documented 503', async () => {
  const s = await startSpider(tlsArgs());
  try {
    const body = JSON.stringify({ 'tls.keepalive': [1] });
    const req = `POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const conn = new RawConn(s.port, { ca });
    await conn.ready();
    for (let i = 0; i < 5; i++) {
      await conn.write(req);
      const r = await conn.response();
      assert.equal(r?.status, 200, `upload ${i}: ${r?.body}`);
    }
    await conn.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' + req);
    const a = await conn.response();
    const b = await conn.response();
    assert.deepEqual([a?.status, b?.status], [200, 503]);
    assert.match(b.body, /pipelined/);
    conn.destroy();
    const q = await request(s.port, 'GET', '/api/v1/series/tls.keepalive');
    assert.equal(q.json.summary.count, 5);
  } finally {
    await s.stop();
  }
});

// Sends bytes on a raw TCP connection; resolves {data, closed} once the
// server closes it (or after ms, closed false).
function rawExchange(port, bytes, ms = 20000) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ data, closed: false });
    }, ms);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => (data = Buffer.concat([data, d])));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
  });
}

test('plain HTTP to the TLS port is refused: closed, nothing served', async () => {
  const s = await startSpider(tlsArgs());
  try {
    await postPoints(s.port, { 'secret.series': [1] });
    for (const req of [
      'GET /api/v1/series HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      `POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n{"plain.series":[1]}`,
    ]) {
      const r = await rawExchange(s.port, req);
      assert.ok(r.closed, 'the server closes the connection');
      const text = r.data.toString('latin1');
      assert.ok(!text.includes('HTTP/1.1 2'), `no answer served: ${JSON.stringify(text)}`);
      assert.ok(!text.includes('secret.series'), 'no data served');
    }
    const q = await request(s.port, 'GET', '/api/v1/series/plain.series');
    assert.equal(q.status, 404, 'the plain POST was not applied');
  } finally {
    await s.stop();
  }
});

test('a client that stalls in the handshake is closed at --header-timeout and holds no one up', async () => {
  const s = await startSpider([...tlsArgs(), '--header-timeout', '1s']);
  try {
    // Silent TCP connections, and ones that start a ClientHello (a record
    // header announcing 512 bytes) and never finish it.
    const start = Date.now();
    const stalled = [];
    // Both ports: the main one and the OTLP one.
    for (let i = 0; i < 20; i++)
      stalled.push(rawExchange(i < 10 ? s.port : s.otlpPort, i % 2 ? Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]) : Buffer.alloc(0), 30000));
    await sleep(200);
    // Meanwhile others are served, however many stalls are pending.
    for (let i = 0; i < 5; i++) {
      const r = await postPoints(s.port, { 'during.stall': [i] });
      assert.equal(r.status, 200);
    }
    const results = await Promise.all(stalled);
    const elapsed = Date.now() - start;
    assert.ok(results.every((r) => r.closed), 'every stalled connection was closed by the server');
    assert.ok(elapsed < 30000, `closed after ${elapsed} ms`);
    assert.ok(results.every((r) => !r.data.toString('latin1').includes('HTTP/')), 'nothing served to them');
    const q = await request(s.port, 'GET', '/api/v1/series/during.stall');
    assert.equal(q.json.summary.count, 5);
    // They are counted as connections closed without a request.
    const m = await request(s.port, 'GET', '/metrics');
    const closed = Number(m.body.match(/^spider_http_closed_without_request_total (\d+)/m)?.[1]);
    assert.ok(closed >= 20, `spider_http_closed_without_request_total ${closed}`);
  } finally {
    await s.stop();
  }
});

test('bad TLS files stop the start with exit 1 and a message naming the flag and file', () => {
  const other = makeCert('other');
  const junk = path.join(dir, 'junk.pem');
  writeFileSync(junk, 'not a pem file\n');
  const missing = path.join(dir, 'missing.pem');
  const cases = [
    [['--tls-cert', cert, '--tls-key', other.key], /--tls-key .*other\.key does not belong to the certificate in --tls-cert/],
    [['--tls-cert', cert, '--tls-key', missing], /--tls-key .*missing\.pem: cannot read it: No such file/],
    [['--tls-cert', missing, '--tls-key', key], /--tls-cert .*missing\.pem: cannot read it/],
    [['--tls-cert', junk, '--tls-key', key], /--tls-cert .*junk\.pem: not a PEM certificate/],
    [['--tls-cert', cert, '--tls-key', junk], /--tls-key .*junk\.pem: not a PEM private key/],
    [['--tls-cert', cert, '--tls-key', cert], /--tls-key .*spider\.crt: not a PEM private key/],
  ];
  for (const [args, message] of cases) {
    const r = runToExit(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /listening on/);
  }
  // A key with a passphrase: refused, never a prompt (stdin is closed).
  const enc = path.join(dir, 'enc.key');
  const e = spawnSync('openssl', ['ec', '-in', key, '-aes128', '-passout', 'pass:x', '-out', enc], { encoding: 'utf8' });
  assert.equal(e.status, 0, e.stderr);
  const r = runToExit(['--tls-cert', cert, '--tls-key', enc]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /not a PEM private key, or one with a passphrase/);
});

test('one of --tls-cert and --tls-key alone is a start-up error naming it', () => {
  let r = runToExit(['--tls-cert', cert]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--tls-cert is set but --tls-key is not/);
  r = runToExit([], { SPIDER_TLS_KEY: key });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--tls-key is set but --tls-cert is not/);
});

// The dashboard in Chromium over https (the test certificate is not in its
// store: --ignore-certificate-errors' equivalent): the page opens wss:// by
// itself, its Origin passes, and a series posted over HTTPS is listed.
test('the dashboard over https: Chromium connects over wss and lists a posted series', async () => {
  const s = await startSpider([...tlsArgs(), '--push-interval', '200ms']);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const first = await page.goto(`${s.url}/`);
    assert.equal(first.status(), 200);
    assert.equal(first.headers()['strict-transport-security'], 'max-age=31536000');
    await page.waitForFunction(() => document.querySelector('#connection')?.dataset.state === 'live', null, { timeout: 20000 });
    assert.equal((await postPoints(s.port, { 'browser.over.tls': [3, 4, 5] })).json.accepted, 3);
    await page.waitForFunction(() => document.body.textContent.includes('browser.over.tls'), null, { timeout: 20000 });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await s.stop();
  }
});

// The certificate a new TLS connection is shown (its serial number).
function servedSerial(port) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const serial = sock.getPeerCertificate().serialNumber;
      sock.end();
      resolve(serial);
    });
    sock.on('error', reject);
  });
}

test('SIGHUP loads a new certificate for new connections; open ones keep theirs; a bad pair keeps the old', async () => {
  const live = makeCert('reload-live'); // the paths the server is given
  const s = await startSpider(['--tls-cert', live.cert, '--tls-key', live.key]);
  try {
    const first = await servedSerial(s.port);
    const ws = new WebSocket(`wss://127.0.0.1:${s.port}/ws`, { rejectUnauthorized: false });
    let closed = false;
    const types = [];
    ws.on('message', (d) => types.push(JSON.parse(d.toString()).type));
    ws.on('close', () => (closed = true));
    await new Promise((r, j) => {
      ws.on('open', r);
      ws.on('error', j);
    });
    const next = makeCert('reload-next');
    writeFileSync(live.cert, readFileSync(next.cert));
    writeFileSync(live.key, readFileSync(next.key));
    s.proc.kill('SIGHUP');
    await waitFor(() => /reloaded on SIGHUP: 0 token files, the certificate and key/.test(s.log()), 'the reload');
    const second = await servedSerial(s.port);
    assert.notEqual(second, first, 'a new connection gets the new certificate');
    // A key that is not the certificate's: refused, the served one stays.
    const other = makeCert('reload-other');
    writeFileSync(live.key, readFileSync(other.key));
    s.proc.kill('SIGHUP');
    await waitFor(() => /reload: --tls-key .* does not belong to the certificate.*the previous certificate stays/.test(s.log()), 'the refusal');
    assert.equal(await servedSerial(s.port), second);
    const n = types.filter((t) => t === 'update').length;
    await waitFor(() => types.filter((t) => t === 'update').length >= n + 2, 'updates after the reloads');
    assert.equal(closed, false, 'the WSS client stays connected');
    ws.close();
  } finally {
    await s.stop();
  }
});
