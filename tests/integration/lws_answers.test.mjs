// Requests that libwebsockets 4.1.6 answers (or drops) on its own, before
// any callback of Spider's sees them, so they cannot be given a JSON
// refusal (docs/protocol.md, "Answers lws gives itself"). These tests pin
// that behaviour: if a newer lws changes it, they say so. After each, the
// server must still answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startSpider, get } from './helpers.mjs';

let s;
before(async () => {
  s = await startSpider(['--header-timeout', '2s']);
});
after(() => s.stop());

// Writes bytes, collects everything until the server closes (or waitMs).
function exchange(bytes, waitMs = 6000) {
  return new Promise((resolve) => {
    const sock = net.connect(s.port, '127.0.0.1');
    const t0 = Date.now();
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text: got.toString('latin1'), closed: false, ms: Date.now() - t0 });
    }, waitMs);
    sock.on('data', (d) => (got = Buffer.concat([got, d])));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text: got.toString('latin1'), closed: true, ms: Date.now() - t0 });
    });
    sock.write(bytes);
  });
}

async function alive() {
  assert.equal((await get(s.url, '/healthz')).status, 200);
}

const host = () => `Host: 127.0.0.1:${s.port}\r\n`;

for (const [what, line] of [
  ['an unknown method', 'BREW /healthz HTTP/1.1'],
  ['an absolute-form URI', 'GET http://127.0.0.1/healthz HTTP/1.1'],
  ['a bad % escape', 'GET /api/v1/series/a%zz HTTP/1.1'],
]) {
  test(`${what}: lws' own 403 (HTML), then closed`, async () => {
    const r = await exchange(`${line}\r\n${host()}\r\n`);
    assert.ok(r.closed);
    assert.match(r.text, /^HTTP\/1\.0 403 Forbidden\r\n/);
    assert.match(r.text, /content-type: text\/html/);
    await alive();
  });
}

test("the HTTP/2 preface: lws' own 403, then closed", async () => {
  const r = await exchange('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  assert.ok(r.closed);
  assert.match(r.text, /^HTTP\/1\.0 403 /);
  await alive();
});

test('a WebSocket upgrade naming an unknown subprotocol: closed without an answer', async () => {
  const r = await exchange(
    `GET /ws HTTP/1.1\r\n${host()}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Protocol: chat\r\n\r\n',
  );
  assert.ok(r.closed);
  assert.equal(r.text, '');
  await alive();
});

test('a request head over 4 KiB (one header buffer): closed without an answer', async () => {
  const r = await exchange(`GET /healthz HTTP/1.1\r\n${host()}Cookie: c=${'x'.repeat(5000)}\r\n\r\n`);
  assert.ok(r.closed);
  assert.equal(r.text, '');
  await alive();
});

test('a folded header line: no answer; closed at --header-timeout', async () => {
  const r = await exchange(`GET /healthz HTTP/1.1\r\n${host()}X-A: 1\r\n  folded\r\n\r\n`, 8000);
  assert.ok(r.closed, 'closed by the server');
  assert.equal(r.text, '');
  assert.ok(r.ms >= 1500, `closed after ${r.ms} ms`);
  await alive();
});
