// The front door's policy: only Host values that name this server are
// answered (DNS rebinding), a WebSocket Origin is compared with those names
// and never with the request's own Host, and --max-connections caps open
// connections, idle keep-alive ones included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startSpider, get, RawConn } from './helpers.mjs';

// One request on a fresh connection with the given Host line ('' = none).
async function ask(port, hostLine, path = '/healthz', extra = '') {
  const c = new RawConn(port);
  await c.ready();
  await c.write(`GET ${path} HTTP/1.1\r\n${hostLine}${extra}\r\n`);
  const r = await c.response(5000);
  c.sock.destroy();
  return r;
}

function upgrade(port, headers) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
    ws.on('error', reject);
  });
}

test('Host: the listen address and loopback names are answered; a rebound name gets 421 JSON', async () => {
  const s = await startSpider();
  try {
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `LOCALHOST`, `[::1]:${s.port}`]) {
      const r = await ask(s.port, `Host: ${host}\r\n`);
      assert.equal(r.status, 200, `Host: ${host}`);
    }
    const evil = await ask(s.port, `Host: rebind.evil.example:${s.port}\r\n`, '/api/v1/series');
    assert.equal(evil.status, 421);
    const body = JSON.parse(evil.body);
    assert.match(body.error, /--allow-host/);
    assert.equal(body.host, `rebind.evil.example:${s.port}`);
    // also for the dashboard's files and for POSTs
    assert.equal((await ask(s.port, 'Host: evil.example\r\n', '/')).status, 421);
    const missing = await ask(s.port, '');
    assert.equal(missing.status, 400);
    assert.match(JSON.parse(missing.body).error, /Host/);
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_http_refused_total\{reason="host"\} 3\n/);
  } finally {
    await s.stop();
  }
});

test('--allow-host names more hosts (for a server on all interfaces or behind a name)', async () => {
  const s = await startSpider(['--allow-host', 'spider.internal, metrics.example.org']);
  try {
    assert.equal((await ask(s.port, `Host: spider.internal:${s.port}\r\n`)).status, 200);
    assert.equal((await ask(s.port, 'Host: Metrics.Example.Org\r\n')).status, 200);
    assert.equal((await ask(s.port, 'Host: other.example\r\n')).status, 421);
  } finally {
    await s.stop();
  }
  const bad = await startSpider(['--allow-host', 'bad name']).catch((e) => e);
  assert.ok(bad instanceof Error && /--allow-host/.test(bad.message), String(bad));
});

test('WebSocket: Host checked; Origin compared with the allowed names, not with the request Host', async () => {
  const s = await startSpider();
  try {
    // the page of a rebound domain: its Host and Origin agree, and are refused
    const rebound = 'rebind.evil.example:' + s.port;
    assert.equal(await upgrade(s.port, { Host: rebound, Origin: `http://${rebound}` }), 421);
    // an allowed Host with a foreign Origin
    assert.equal(await upgrade(s.port, { Host: `127.0.0.1:${s.port}`, Origin: 'http://evil.example' }), 403);
    // the dashboard opened as localhost talks to 127.0.0.1: both name this server
    assert.equal(await upgrade(s.port, { Host: `127.0.0.1:${s.port}`, Origin: `http://localhost:${s.port}` }), 101);
    assert.equal(await upgrade(s.port, { Host: `localhost:${s.port}` }), 101);
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_ws_refused_total\{reason="host"\} 1\n/);
    assert.match(m.body, /spider_ws_refused_total\{reason="origin"\} 1\n/);
  } finally {
    await s.stop();
  }
});

test('--max-connections: idle keep-alive connections count; one more is closed at accept; gauge and counter', async () => {
  const s = await startSpider(['--max-connections', '3']);
  try {
    const held = [];
    for (let i = 0; i < 2; i++) {
      const c = new RawConn(s.port); // idle after one answer, kept alive
      await c.ready();
      await c.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      assert.equal((await c.response(5000)).status, 200);
      held.push(c);
    }
    const third = new RawConn(s.port);
    await third.ready();
    held.push(third);
    // the fourth: accepted by the kernel, closed by the server at once
    const fourth = new RawConn(s.port);
    await fourth.ready();
    await fourth.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.equal(await fourth.response(5000).catch(() => null), null);
    // the held one reports the gauge: 3 open, 1 refused
    await held[0].write(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const m = (await held[0].response(5000)).body;
    assert.match(m, /spider_http_connections 3\n/);
    assert.match(m, /spider_http_connections_refused_total 1\n/);
    // a slot frees when a connection closes
    held.pop().sock.destroy();
    let ok = null;
    for (let i = 0; i < 40 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ok = await get(s.url, '/healthz').catch(() => null);
    }
    assert.equal(ok?.status, 200);
    held.forEach((c) => c.sock.destroy());
  } finally {
    await s.stop();
  }
});

test('WebSocket clients leave the --max-connections count (they are under --max-clients)', async () => {
  const s = await startSpider(['--max-connections', '2']);
  try {
    const open = [];
    for (let i = 0; i < 3; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`);
      await new Promise((resolve, reject) => {
        ws.on('open', resolve);
        ws.on('error', reject);
      });
      open.push(ws);
    }
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_ws_clients 3\n/);
    assert.match(m.body, /spider_http_connections_refused_total 0\n/);
    open.forEach((ws) => ws.close());
  } finally {
    await s.stop();
  }
});

test('a space before the colon of Transfer-Encoding, Content-Length or Host: 400 JSON, then closed', async () => {
  const s = await startSpider();
  try {
    for (const line of ['Transfer-Encoding : chunked', 'Content-Length :5', 'transfer-encoding\t: chunked']) {
      const c = new RawConn(s.port);
      await c.ready();
      await c.write(`POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${line}\r\n\r\n5\r\n{"a":[1]}\r\n0\r\n\r\n`);
      const r = await c.response(5000);
      assert.equal(r.status, 400, line);
      assert.match(JSON.parse(r.body).error, /whitespace between a header name and its colon/);
      assert.ok(await c.closedWithin(3000), 'closed after the refusal');
    }
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_http_refused_total\{reason="bad_header"\} 3\n/);
    assert.equal((await get(s.url, '/api/v1/series')).json.series.length, 0);
  } finally {
    await s.stop();
  }
});
