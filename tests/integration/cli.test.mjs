// The spider command line: --help, --version, bad values (exit 2),
// environment variables, connection deadlines and a clean stop on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { BIN, startSpider, get, post, RawConn, sleep, waitFor } from './helpers.mjs';

function run(args, env = {}) {
  return spawnSync(BIN, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000 });
}

test('--help lists every flag with its variable and default; --version', () => {
  const h = run(['--help']);
  assert.equal(h.status, 0);
  for (const flag of ['listen', 'window', 'raw-per-second', 'max-series', 'memory-limit', 'max-body', 'ingest-buffer', 'answer-buffer',
    'header-timeout', 'body-timeout', 'keepalive-timeout', 'max-connections', 'allow-host', 'statsd-listen',
    'statsd-unix', 'statsd-buffer', 'otlp-listen']) {
    assert.match(h.stdout, new RegExp(`--${flag} +SPIDER_${flag.toUpperCase().replace(/-/g, '_')}`));
  }
  assert.match(h.stdout, /\(default 30m\)/);
  const v = run(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^spider \d+\.\d+\.\d+/);
});

test('bad flag values exit 2 with a message naming the flag', () => {
  for (const [args, needle] of [
    [['--window', '30'], /--window '30'.*unit/],
    [['--memory-limit', 'huge'], /--memory-limit 'huge'/],
    [['--window', '48h'], /out of range/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--statsd-listen', 'nope'], /--statsd-listen 'nope'.*or off/],
  ]) {
    const r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, needle);
  }
  const e = run([], { SPIDER_MAX_BODY: 'x' });
  assert.equal(e.status, 2);
  assert.match(e.stderr, /SPIDER_MAX_BODY/);
});

test('environment variables configure the server; flags win', async () => {
  const s = await startSpider(['--max-series', '3'], { SPIDER_MAX_SERIES: '1', SPIDER_WINDOW: '1m' });
  try {
    const now = Date.now();
    // window 1m from the environment: a sample 2 minutes old is too old.
    let r = await post(s.url, `{"e1":[[${now - 120000},1]]}`);
    assert.equal(r.json.errors[0].reason, 'timestamp older than the window');
    // max-series 3 from the flag (not 1 from the environment).
    r = await post(s.url, { e1: [1], e2: [1], e3: [1], e4: [1] });
    assert.equal(r.json.accepted, 3);
    assert.equal(r.json.errors[0].reason, 'series limit reached (--max-series)');
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_samples_rejected_total\{protocol="json",reason="series_limit"\} 1/);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('an incomplete request head is closed at the header timeout', async () => {
  const s = await startSpider(['--header-timeout', '2s', '--keepalive-timeout', '3s']);
  try {
    const closedAfter = (write) =>
      new Promise((resolve) => {
        const sock = net.connect(s.port, '127.0.0.1');
        const t = Date.now();
        sock.on('error', () => {});
        sock.on('data', () => {});
        sock.on('close', () => resolve(Date.now() - t));
        write(sock);
        setTimeout(() => sock.destroy(), 12000);
      });
    const [silent, dripping, idle] = await Promise.all([
      closedAfter(() => {}),
      closedAfter((sock) => {
        const head = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
        let i = 0;
        const iv = setInterval(() => (sock.destroyed ? clearInterval(iv) : sock.write(head[i++ % head.length])), 200);
      }),
      closedAfter((sock) => sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')),
    ]);
    assert.ok(silent >= 1500 && silent < 4500, `silent connection closed after ${silent} ms`);
    assert.ok(dripping >= 1500 && dripping < 4500, `dripping head closed after ${dripping} ms`);
    assert.ok(idle >= 2500 && idle < 5500, `idle keep-alive closed after ${idle} ms`);
    // The silent and the dripping one had no complete head; the idle one had.
    const metrics = (await get(s.url, '/metrics')).body;
    assert.match(metrics, /spider_http_closed_without_request_total 2\n/);
  } finally {
    await s.stop();
  }
});

test('--header-buffers bounds the request heads read at once; the rest wait', async () => {
  const s = await startSpider(['--header-buffers', '1', '--header-timeout', '2s']);
  try {
    // A head that never completes holds the only buffer until the timeout.
    const slow = net.connect(s.port, '127.0.0.1');
    slow.on('error', () => {});
    slow.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(300);
    const t = Date.now();
    const r = await get(s.url, '/healthz');
    const waited = Date.now() - t;
    assert.equal(r.status, 200);
    assert.ok(waited >= 1200, `the second request waited ${waited} ms for the buffer`);
    slow.destroy();
  } finally {
    await s.stop();
  }
});

test('SIGTERM stops the server with exit 0', async () => {
  const s = await startSpider();
  const r = await get(s.url, '/healthz');
  assert.equal(r.json.status, 'ok');
  assert.equal(await s.stop(), 0);
  assert.match(s.log(), /stopping/);
});

test('SIGTERM lets an answer being written finish, then exits 0', async () => {
  const s = await startSpider();
  const now = Date.now();
  // 1,500 seconds x 100 raw points: a query answer of several MB.
  for (let chunk = 0; chunk < 15; chunk++) {
    const pts = [];
    for (let sec = chunk * 100; sec < (chunk + 1) * 100; sec++)
      for (let k = 0; k < 100; k++) pts.push(`[${now - 1000 * (sec + 5) - k * 7},${k + 0.25}]`);
    const r = await post(s.url, `{"big.answer":[${pts.join(',')}]}`);
    assert.equal(r.json.accepted, 10000);
  }
  const c = new RawConn(s.port);
  await c.ready();
  c.sock.pause(); // do not read: the answer backs up in the socket buffers
  await c.write('GET /api/v1/series/big.answer HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await sleep(300);
  const exited = s.stop();
  await sleep(300);
  c.sock.resume();
  const a = await c.response(10000);
  assert.ok(a, 'the whole answer arrived');
  assert.equal(a.status, 200);
  assert.equal(JSON.parse(a.body).raw.length, 150000);
  assert.equal(await exited, 0);
  c.destroy();
});

test('--log-format json: every line of the log is one JSON object with time, level and msg', async () => {
  // Beyond loopback without tokens: warnings as well as info lines.
  const s = await startSpider(['--log-format', 'json', '--listen', '0.0.0.0:0', '--allow-host', '127.0.0.1']);
  // The warnings follow the line startSpider waits for.
  await waitFor(() => /StatsD listens|only this machine|--view-token/.test(s.log()) && /metrics is open/.test(s.log()), 'the warnings');
  await s.stop();
  const lines = s.log().split('\n').filter((l) => l !== '');
  assert.ok(lines.length >= 4, s.log());
  const levels = new Set();
  for (const line of lines) {
    const j = JSON.parse(line); // throws on a line that is not JSON
    assert.match(j.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof j.msg, 'string');
    levels.add(j.level);
  }
  assert.deepEqual([...levels].sort(), ['info', 'warning']);
  assert.ok(lines.some((l) => JSON.parse(l).msg.startsWith('listening on http://')));
  assert.ok(lines.some((l) => /without --ingest-token/.test(JSON.parse(l).msg)));
  // Text: a level word on every line that is not plain information.
  const t = await startSpider(['--listen', '0.0.0.0:0', '--allow-host', '127.0.0.1']);
  await waitFor(() => /metrics is open/.test(t.log()), 'the warnings');
  await t.stop();
  assert.match(t.log(), /^spider: warning: listening beyond loopback without --ingest-token/m);
  assert.match(t.log(), /^spider: listening on http:\/\//m);
  const bad = run(['--log-format', 'xml']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^spider: error: --log-format 'xml': expected text or json\n$/);
});
