// Access tokens on the real binary: every door (ingest on both ports, view,
// /metrics) refuses a request without its token or with a wrong one (401
// JSON naming the door and reason, WWW-Authenticate) and lets the right one
// in; /healthz stays open; the live stream takes the sign-in cookie or a
// Bearer header and still checks Origin; sign-in sets an HttpOnly
// SameSite=Strict cookie and sign-out clears it; refusals are counted by
// door and reason; token files and bad tokens at start; the warning when
// listening beyond loopback without tokens; no token ever in the log. Last,
// the sign-in page in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';
import { BIN, startSpider, waitFor } from './helpers.mjs';

const INGEST = 'ingest-Token_0123456789abcdef';
const VIEW = 'view-Token.0123456789+abc/def==';
const METRICS = 'metrics-Token~0123456789abcdef';
const WRONG = 'wrong-Token-0123456789abcdefgh';
const TOKENS = [INGEST, VIEW, METRICS, WRONG];

async function request(base, p, { method = 'GET', token, cookie, headers = {}, body } = {}) {
  const h = { ...headers };
  if (token !== undefined) h.authorization = token.startsWith('Basic') ? token : `Bearer ${token}`;
  if (cookie !== undefined) h.cookie = cookie;
  if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
  const res = await fetch(`${base}${p}`, { method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(20000) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: text, json };
}

// A 401 of the door, for the reason, with the challenge RFC 6750 asks for.
function assertRefused(r, door, reason, what) {
  assert.equal(r.status, 401, `${what}: ${r.status} ${r.body}`);
  assert.match(r.headers.get('content-type'), /application\/json/, what);
  assert.equal(r.json.door, door, what);
  assert.equal(r.json.reason, reason, what);
  assert.match(r.json.error, new RegExp(door === 'ingest' ? '--ingest-token' : door === 'view' ? '--view-token' : '--metrics-token'), what);
  const challenge = r.headers.get('www-authenticate');
  assert.match(challenge, /^Bearer realm="spider"/, what);
  if (reason === 'missing') assert.doesNotMatch(challenge, /invalid_token/, what);
  else assert.match(challenge, /error="invalid_token"/, what);
  for (const t of TOKENS) assert.ok(!r.body.includes(t), `${what}: a token in the answer`);
}

function connect(port, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, opts);
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'hello') {
        ws.close();
        resolve({ status: 101, hello: m });
      }
    });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    ws.on('error', reject);
  });
}

// One raw request (to set a Host of our choosing); resolves the whole answer.
function rawGet(port, text) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(text));
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.on('end', () => resolve(got));
    sock.on('error', reject);
  });
}

async function authMetric(s, door, reason) {
  const r = await request(s.url, '/metrics', { token: s.metricsToken ?? VIEW });
  const m = r.body.match(new RegExp(`^spider_auth_refused_total\\{door="${door}",reason="${reason}"\\} (\\d+)$`, 'm'));
  assert.ok(m, `no auth_refused for ${door}/${reason}`);
  return Number(m[1]);
}

const OTLP_TRACE = JSON.stringify({ resourceSpans: [] });

test('each door refuses a missing, wrong or malformed token and lets the right one in', async () => {
  const s = await startSpider(['--ingest-token', INGEST, '--view-token', VIEW]);
  try {
    const points = JSON.stringify({ 'tok.a': [1.5, 2.5] });
    // ingest: the points API and OTLP on the main port
    for (const p of ['/api/v1/points', '/v1/traces']) {
      const body = p === '/api/v1/points' ? points : OTLP_TRACE;
      assertRefused(await request(s.url, p, { method: 'POST', body }), 'ingest', 'missing', `${p} without`);
      assertRefused(await request(s.url, p, { method: 'POST', body, token: WRONG }), 'ingest', 'wrong', `${p} wrong`);
      assertRefused(await request(s.url, p, { method: 'POST', body, token: VIEW }), 'ingest', 'wrong', `${p} view token`);
      assertRefused(await request(s.url, p, { method: 'POST', body, token: 'Basic aGk6aGk=' }), 'ingest', 'malformed', `${p} Basic`);
      // the cookie opens no ingest door
      assertRefused(await request(s.url, p, { method: 'POST', body, cookie: `spider_view=${INGEST}` }), 'ingest', 'missing', `${p} cookie`);
      const ok = await request(s.url, p, { method: 'POST', body, token: INGEST });
      assert.equal(ok.status, 200, `${p}: ${ok.body}`);
    }
    // the OTLP port: the same door, the same answers
    const otlp = `http://127.0.0.1:${s.otlpPort}`;
    assertRefused(await request(otlp, '/v1/traces', { method: 'POST', body: OTLP_TRACE }), 'ingest', 'missing', 'OTLP port without');
    assertRefused(await request(otlp, '/v1/metrics', { method: 'POST', body: '{}', token: WRONG }), 'ingest', 'wrong', 'OTLP port wrong');
    assertRefused(await request(otlp, '/v1/traces', { method: 'POST', body: OTLP_TRACE, headers: { authorization: 'Bearer' } }), 'ingest', 'malformed', 'OTLP port malformed');
    assertRefused(await request(otlp, '/nope', {}), 'ingest', 'missing', 'OTLP port, any path');
    const otlpOk = await request(otlp, '/v1/traces', { method: 'POST', body: OTLP_TRACE, token: INGEST });
    assert.equal(otlpOk.status, 200, otlpOk.body);

    // view: the query API, the dashboard, unknown paths; header or cookie
    for (const p of ['/api/v1/series', '/api/v1/series/tok.a', '/api/v1/rollup?match=tok.a', '/app.js', '/index.html', '/no-such-path', '/api/v1/session']) {
      assertRefused(await request(s.url, p), 'view', 'missing', `${p} without`);
      assertRefused(await request(s.url, p, { token: WRONG }), 'view', 'wrong', `${p} wrong`);
      assertRefused(await request(s.url, p, { token: INGEST }), 'view', 'wrong', `${p} ingest token`);
      assertRefused(await request(s.url, p, { cookie: `spider_view=${WRONG}` }), 'view', 'wrong', `${p} wrong cookie`);
      const want = p === '/no-such-path' ? 404 : 200;
      assert.equal((await request(s.url, p, { token: VIEW })).status, want, `${p} bearer`);
      assert.equal((await request(s.url, p, { cookie: `a=1; spider_view=${VIEW}; b=2` })).status, want, `${p} cookie`);
    }
    const series = await request(s.url, '/api/v1/series', { token: VIEW });
    assert.equal(series.json.series.find((x) => x.name === 'tok.a')?.count, 2);
    // /metrics takes the view token when it has none of its own
    assertRefused(await request(s.url, '/metrics'), 'metrics', 'missing', '/metrics without');
    assertRefused(await request(s.url, '/metrics', { token: INGEST }), 'metrics', 'wrong', '/metrics ingest token');
    assert.equal((await request(s.url, '/metrics', { token: VIEW })).status, 200);
    assert.equal((await request(s.url, '/metrics', { cookie: `spider_view=${VIEW}` })).status, 200);
    // /healthz stays open, and says nothing of the tokens
    const health = await request(s.url, '/healthz');
    assert.equal(health.status, 200);
    for (const t of TOKENS) assert.ok(!health.body.includes(t));
    // the counters, by door and reason (main port + OTLP port for ingest)
    assert.equal(await authMetric(s, 'ingest', 'missing'), 2 + 2 + 2);
    assert.equal(await authMetric(s, 'ingest', 'wrong'), 4 + 1);
    assert.equal(await authMetric(s, 'ingest', 'malformed'), 2 + 1);
    assert.equal(await authMetric(s, 'view', 'missing'), 7);
    assert.equal(await authMetric(s, 'view', 'wrong'), 21);
    assert.equal(await authMetric(s, 'metrics', 'missing'), 1);
    assert.equal(await authMetric(s, 'metrics', 'wrong'), 1);
  } finally {
    await s.stop();
  }
});

test('a separate --metrics-token locks /metrics alone; without tokens every door is open', async () => {
  const s = await startSpider(['--view-token', VIEW, '--metrics-token', METRICS]);
  s.metricsToken = METRICS;
  try {
    assertRefused(await request(s.url, '/metrics', { token: VIEW }), 'metrics', 'wrong', 'view token on /metrics');
    assertRefused(await request(s.url, '/metrics', { cookie: `spider_view=${VIEW}` }), 'metrics', 'missing', 'cookie on /metrics');
    assert.equal((await request(s.url, '/metrics', { token: METRICS })).status, 200);
    assertRefused(await request(s.url, '/api/v1/series', { token: METRICS }), 'view', 'wrong', 'metrics token on the API');
    // no ingest token: ingest is open as before
    const ok = await request(s.url, '/api/v1/points', { method: 'POST', body: JSON.stringify({ a: [1] }) });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(await authMetric(s, 'metrics', 'wrong'), 1);
  } finally {
    await s.stop();
  }
  const open = await startSpider([]);
  try {
    assert.equal((await request(open.url, '/api/v1/series')).status, 200);
    assert.equal((await request(open.url, '/metrics')).status, 200);
    // a stray Authorization header changes nothing where no token is set
    assert.equal((await request(open.url, '/api/v1/points', { method: 'POST', body: '{"a":[1]}', token: WRONG })).status, 200);
    assert.equal((await connect(open.port)).status, 101);
    const session = await request(open.url, '/api/v1/session');
    assert.deepEqual(session.json, { token_required: false });
  } finally {
    await open.stop();
  }
});

test('the live stream takes the cookie or a Bearer header, and still checks Origin', async () => {
  const s = await startSpider(['--view-token', VIEW]);
  try {
    const none = await connect(s.port);
    assert.equal(none.status, 401);
    assert.match(none.headers['www-authenticate'], /^Bearer realm="spider"$/);
    assert.match(none.body, /view token/);
    const wrong = await connect(s.port, { headers: { cookie: `spider_view=${WRONG}` } });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers['www-authenticate'], /invalid_token/);
    assert.equal((await connect(s.port, { headers: { authorization: `Bearer ${WRONG}` } })).status, 401);
    const byCookie = await connect(s.port, { headers: { cookie: `spider_view=${VIEW}` } });
    assert.equal(byCookie.status, 101);
    assert.equal(byCookie.hello.type, 'hello');
    assert.equal((await connect(s.port, { headers: { authorization: `Bearer ${VIEW}` } })).status, 101);
    // the right token with a Host that does not name the server: still 421
    const rebound = await connect(s.port, { headers: { cookie: `spider_view=${VIEW}`, host: 'evil.example' } });
    assert.equal(rebound.status, 421);
    const raw = await rawGet(s.port, `GET /api/v1/series HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer ${VIEW}\r\nConnection: close\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 421 /);
    // the right cookie from a foreign page is still refused
    const foreign = await connect(s.port, { headers: { cookie: `spider_view=${VIEW}` }, origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(await authMetric(s, 'view', 'missing'), 1);
    assert.equal(await authMetric(s, 'view', 'wrong'), 2);
    const m = (await request(s.url, '/metrics', { token: VIEW })).body;
    assert.match(m, /^spider_ws_refused_total\{reason="token"\} 3$/m);
  } finally {
    await s.stop();
  }
});

test('sign-in sets an HttpOnly SameSite=Strict cookie, a wrong token gets 401, sign-out clears it', async () => {
  const s = await startSpider(['--view-token', VIEW]);
  try {
    // the page and its files are open; the dashboard's page sends a browser there
    for (const p of ['/signin.html', '/signin.js', '/signin.css']) {
      const r = await request(s.url, p);
      assert.equal(r.status, 200, p);
      assert.match(r.headers.get('content-security-policy'), /script-src 'self'/);
    }
    const page = await request(s.url, '/', { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/signin.html');
    assertRefused(await request(s.url, '/'), 'view', 'missing', '/ for a non-browser');

    const bad = await request(s.url, '/api/v1/signin', { method: 'POST', token: WRONG });
    assertRefused(bad, 'view', 'wrong', 'sign-in with a wrong token');
    assert.equal(bad.headers.get('set-cookie'), null);
    const none = await request(s.url, '/api/v1/signin', { method: 'POST' });
    assert.equal(none.status, 401);

    const ok = await request(s.url, '/api/v1/signin', { method: 'POST', token: VIEW });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(ok.json, { signed_in: true, token_required: true });
    const cookie = ok.headers.get('set-cookie');
    assert.match(cookie, /^spider_view=[^;]+; /);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\//);
    assert.ok(!ok.body.includes(VIEW), 'the token in the body');
    const pair = cookie.split(';')[0];
    const dash = await request(s.url, '/', { cookie: pair });
    assert.equal(dash.status, 200);
    assert.match(dash.body, /<title>Spider<\/title>/);
    assert.deepEqual((await request(s.url, '/api/v1/session', { cookie: pair })).json, { token_required: true });

    const out = await request(s.url, '/api/v1/signout', { method: 'POST' });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie'), /^spider_view=; .*Max-Age=0/);
    assert.match(out.headers.get('set-cookie'), /HttpOnly/);
  } finally {
    await s.stop();
  }
});

function run(args, env = {}) {
  return spawnSync(BIN, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10000 });
}

test('tokens from files and the environment; bad ones refused at start without being echoed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'spider-tokens-'));
  try {
    const file = path.join(dir, 'view');
    writeFileSync(file, `${VIEW}\n`);
    chmodSync(file, 0o644);
    let r = run(['--view-token-file', file, '--listen', '127.0.0.1:0']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--view-token-file .*readable by other users/);
    assert.ok(!r.stderr.includes(VIEW));
    chmodSync(file, 0o600);
    // a file's token (its newline stripped) opens the door; so does the environment's
    const s = await startSpider(['--view-token-file', file], { SPIDER_INGEST_TOKEN: INGEST });
    try {
      assert.equal((await request(s.url, '/api/v1/series', { token: VIEW })).status, 200);
      assert.equal((await request(s.url, '/api/v1/series', { token: `${VIEW}x` })).status, 401);
      assertRefused(await request(s.url, '/api/v1/points', { method: 'POST', body: '{"a":[1]}' }), 'ingest', 'missing', 'env token');
      assert.equal((await request(s.url, '/api/v1/points', { method: 'POST', body: '{"a":[1]}', token: INGEST })).status, 200);
    } finally {
      await s.stop();
    }
    writeFileSync(path.join(dir, 'empty'), '\n');
    chmodSync(path.join(dir, 'empty'), 0o600);
    r = run(['--ingest-token-file', path.join(dir, 'empty')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--ingest-token-file .*: empty/);
    r = run(['--ingest-token-file', path.join(dir, 'absent')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--ingest-token-file .*absent: No such file/);
    r = run(['--view-token', VIEW, '--view-token-file', file]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not both/);
    for (const bad of ['short-token', 'has a space in it, long enough', 'semi;colon-0123456789abcdef']) {
      r = run(['--metrics-token', bad]);
      assert.equal(r.status, 2, bad);
      assert.match(r.stderr, /--metrics-token: the token (is shorter|has a byte)/);
      assert.ok(!r.stderr.includes(bad), `echoed: ${r.stderr}`);
      r = run([], { SPIDER_VIEW_TOKEN: bad });
      assert.equal(r.status, 2, bad);
      assert.ok(!r.stderr.includes(bad), `echoed: ${r.stderr}`);
    }
    const help = run(['--help'], { SPIDER_VIEW_TOKEN: VIEW });
    assert.equal(help.status, 0);
    for (const flag of ['--ingest-token', '--ingest-token-file', '--view-token', '--view-token-file', '--metrics-token', '--metrics-token-file'])
      assert.ok(help.stdout.includes(flag), flag);
    assert.match(help.stdout, /SPIDER_VIEW_TOKEN/);
    assert.ok(!help.stdout.includes(VIEW));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a warning at start when listening beyond loopback without tokens; none with them', async () => {
  const open = await startSpider(['--listen', '0.0.0.0:0', '--otlp-listen', '0.0.0.0:0']);
  try {
    await waitFor(() => /without --view-token/.test(open.log()), 'the view warning');
    assert.match(open.log(), /warning: listening beyond loopback without --ingest-token: anyone who can reach the ports/);
    assert.match(open.log(), /warning: listening beyond loopback without --view-token/);
  } finally {
    await open.stop();
  }
  const locked = await startSpider(['--listen', '0.0.0.0:0', '--ingest-token', INGEST, '--view-token', VIEW]);
  try {
    assert.equal((await request(locked.url, '/healthz')).status, 200); // the log is complete by now
    assert.doesNotMatch(locked.log(), /warning/);
  } finally {
    await locked.stop();
  }
  const loop = await startSpider([]);
  try {
    assert.equal((await request(loop.url, '/healthz')).status, 200);
    assert.doesNotMatch(loop.log(), /warning/);
  } finally {
    await loop.stop();
  }
});

test('no token ever appears in the log, whatever was sent', async () => {
  const s = await startSpider(['--ingest-token', INGEST, '--view-token', VIEW, '--metrics-token', METRICS]);
  try {
    for (const t of TOKENS) {
      await request(s.url, '/api/v1/points', { method: 'POST', body: '{"a":[1]}', token: t });
      await request(s.url, '/api/v1/series', { token: t });
      await request(s.url, '/api/v1/signin', { method: 'POST', token: t });
      await request(s.url, `/api/v1/series/${t}`, { cookie: `spider_view=${t}` });
      await request(`http://127.0.0.1:${s.otlpPort}`, '/v1/traces', { method: 'POST', body: OTLP_TRACE, token: t });
      await connect(s.port, { headers: { cookie: `spider_view=${t}` } });
    }
  } finally {
    await s.stop();
  }
  for (const t of TOKENS) assert.ok(!s.log().includes(t), `a token in the log:\n${s.log()}`);
});

test('the sign-in page in Chromium: a wrong token says so, the right one opens the live dashboard, sign-out returns', async () => {
  const s = await startSpider(['--view-token', VIEW]);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  const urls = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (req) => urls.push(req.url()));
    page.on('console', (m) => {
      // the 401 of the wrong token is expected; nothing else
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective}`));
    });
    await page.goto(`${s.url}/`);
    assert.equal(new URL(page.url()).pathname, '/signin.html');
    await page.fill('#token', WRONG);
    await page.click('#submit');
    await page.waitForFunction(() => /Wrong token/.test(document.getElementById('message').textContent));
    assert.equal(new URL(page.url()).pathname, '/signin.html');
    await page.fill('#token', VIEW);
    await page.click('#submit');
    await page.waitForFunction(() => document.querySelector('#connection')?.dataset.state === 'live', null, { timeout: 20000 });
    const cookies = await page.context().cookies();
    const c = cookies.find((x) => x.name === 'spider_view');
    assert.ok(c, 'no cookie');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is readable by script');
    await page.waitForFunction(() => !document.getElementById('signout').hidden);
    await page.click('#signout');
    await page.waitForURL(/\/signin\.html$/);
    assert.equal((await page.context().cookies()).find((x) => x.name === 'spider_view'), undefined);
    for (const u of urls) for (const t of TOKENS) assert.ok(!u.includes(t), `a token in a URL: ${u}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await s.stop();
  }
  for (const t of TOKENS) assert.ok(!s.log().includes(t));
});

test('SIGHUP reads the token files again without dropping a live client; a bad file keeps the old tokens', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'spider-reload-'));
  const ingestFile = path.join(dir, 'ingest');
  const viewFile = path.join(dir, 'view');
  const NEW_INGEST = 'ingest-Next_0123456789abcdef';
  writeFileSync(ingestFile, `${INGEST}\n`, { mode: 0o600 });
  writeFileSync(viewFile, `${VIEW}\n`, { mode: 0o600 });
  const s = await startSpider(['--ingest-token-file', ingestFile, '--view-token-file', viewFile]);
  try {
    const post = (token) => request(s.url, '/api/v1/points', { method: 'POST', token, body: '{"reload.x":[1]}' });
    assert.equal((await post(INGEST)).status, 200);
    // A dashboard admitted with the view token, open across the reload.
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`, { headers: { authorization: `Bearer ${VIEW}` } });
    const updates = [];
    ws.on('message', (d) => updates.push(JSON.parse(d.toString()).type));
    let closed = false;
    ws.on('close', () => (closed = true));
    await new Promise((r) => ws.on('open', r));

    writeFileSync(ingestFile, `${NEW_INGEST}\n`);
    s.proc.kill('SIGHUP');
    await waitFor(() => /reloaded on SIGHUP: 2 token files/.test(s.log()), 'the reload');
    assertRefused(await post(INGEST), 'ingest', 'wrong', 'the old ingest token after the reload');
    assert.equal((await post(NEW_INGEST)).status, 200);

    // A file that holds no token: refused whole, the tokens stay as they were.
    writeFileSync(ingestFile, 'short\n');
    s.proc.kill('SIGHUP');
    await waitFor(() => /reload: --ingest-token-file .*the previous tokens stay/.test(s.log()), 'the refusal');
    assert.equal((await post(NEW_INGEST)).status, 200);
    const m = await request(s.url, '/metrics', { token: VIEW });
    assert.match(m.body, /^spider_reloads_total\{result="ok"\} 1$/m);
    assert.match(m.body, /^spider_reloads_total\{result="failed"\} 1$/m);

    const before = updates.filter((t) => t === 'update').length;
    await waitFor(() => updates.filter((t) => t === 'update').length >= before + 2, 'updates after the reloads');
    assert.equal(closed, false, 'the dashboard stays connected');
    ws.close();
    for (const t of [...TOKENS, NEW_INGEST]) assert.ok(!s.log().includes(t), 'a token in the log');
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
