// HTTP/1.1 pipelining: requests written in one go on one keep-alive
// connection, before any answer. Each is answered once and in order, or
// (a request with a body behind another, which lws 4.1.6 cannot parse) is
// refused with a 503 naming why after every earlier answer, and the
// connection closed. Regression tests for the freeze: a request followed by
// the head of a POST in the same read spun the loop at 100% CPU forever.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSpider, get, post, RawConn } from './helpers.mjs';

let s;
before(async () => {
  s = await startSpider();
});
after(() => s.stop());

const head = (port) => `Host: 127.0.0.1:${port}\r\n`;
const getReq = (port, path = '/healthz') => `GET ${path} HTTP/1.1\r\n${head(port)}\r\n`;
const postReq = (port, body) =>
  `POST /api/v1/points HTTP/1.1\r\n${head(port)}Content-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

// Writes all requests at once, reads every answer until the server closes or
// stays silent; then checks the server still answers a fresh connection.
async function pipeline(bytes, expected) {
  const c = new RawConn(s.port);
  await c.ready();
  await c.write(bytes);
  const answers = [];
  for (;;) {
    let r;
    try {
      r = await c.response(1500);
    } catch {
      break; // silent: every answer owed has come
    }
    if (!r) break;
    answers.push(r);
  }
  c.sock.destroy();
  const h = await get(s.url, '/healthz'); // the loop is alive
  assert.equal(h.status, 200);
  assert.equal(answers.length, expected.length, `answers: ${answers.map((a) => a.status)}`);
  return answers;
}

async function count(name) {
  const r = await get(s.url, `/api/v1/series/${name}`);
  return r.status === 200 ? r.json.summary.count : 0;
}

test('GET then the head of a POST whose body never comes: GET answered, POST refused, no spin', async () => {
  const bytes =
    getReq(s.port) +
    `POST /api/v1/points HTTP/1.1\r\n${head(s.port)}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n`;
  const [a, b] = await pipeline(bytes, [200, 503]);
  assert.equal(a.status, 200);
  assert.equal(JSON.parse(a.body).status, 'ok');
  assert.equal(b.status, 503);
  assert.match(JSON.parse(b.body).error, /pipelined/);
  assert.equal(b.headers.connection, 'close');
});

test('the example of the report: GET + POST {} in one write', async () => {
  const [a, b] = await pipeline(getReq(s.port) + postReq(s.port, '{}'), [200, 503]);
  assert.equal(a.status, 200);
  assert.equal(b.status, 503);
});

test('GET x3 pipelined: three answers, in order', async () => {
  const bytes = getReq(s.port) + getReq(s.port, '/api/v1/series') + getReq(s.port, '/no/such');
  const answers = await pipeline(bytes, [200, 200, 404]);
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 404],
  );
  assert.ok(Array.isArray(JSON.parse(answers[1].body).series));
});

test('POST then GET: the samples are kept once, the GET answered after', async () => {
  const before = await count('pipe.post_get');
  const answers = await pipeline(postReq(s.port, '{"pipe.post_get":[1,2,3]}') + getReq(s.port), [200, 200]);
  assert.equal(JSON.parse(answers[0].body).accepted, 3);
  assert.equal(JSON.parse(answers[1].body).status, 'ok');
  assert.equal((await count('pipe.post_get')) - before, 3);
});

test('POST then POST: the first kept once, the second refused (never half-read), then closed', async () => {
  const before = await count('pipe.post_post');
  const bytes = postReq(s.port, '{"pipe.post_post":[1,2]}') + postReq(s.port, '{"pipe.post_post":[3,4,5]}');
  const [a, b] = await pipeline(bytes, [200, 503]);
  assert.equal(JSON.parse(a.body).accepted, 2);
  assert.equal(b.status, 503);
  assert.equal((await count('pipe.post_post')) - before, 2);
});

test('a Content-Length: 0 POST then a POST: 400 empty body, then the refusal', async () => {
  const bytes =
    `POST /api/v1/points HTTP/1.1\r\n${head(s.port)}Content-Type: application/json\r\nContent-Length: 0\r\n\r\n` +
    postReq(s.port, '{"pipe.zero":[1]}');
  const [a, b] = await pipeline(bytes, [400, 503]);
  assert.match(JSON.parse(a.body).error, /empty/);
  assert.equal(b.status, 503);
  assert.equal(await count('pipe.zero'), 0);
});

test('keep-alive without pipelining: POSTs one after the other are all read', async () => {
  const c = new RawConn(s.port);
  await c.ready();
  for (let i = 0; i < 5; i++) {
    await c.write(postReq(s.port, '{"pipe.sequential":[1,2]}'));
    const r = await c.response(5000);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).accepted, 2);
  }
  c.sock.destroy();
  assert.equal(await count('pipe.sequential'), 10);
});

test('metrics count the refusals as pipelined', async () => {
  const m = await get(s.url, '/metrics');
  const n = Number(m.body.match(/spider_http_refused_total\{reason="pipelined"\} (\d+)/)[1]);
  assert.ok(n >= 4, `pipelined refusals: ${n}`);
});

test('HEAD: the GET answer without its body, and the connection stays in step', async () => {
  const c = new RawConn(s.port);
  await c.ready();
  await c.write(`HEAD /healthz HTTP/1.1\r\n${head(s.port)}\r\n`);
  await new Promise((r) => setTimeout(r, 300));
  const raw = c.buf.toString('latin1');
  assert.match(raw, /^HTTP\/1\.1 200 /);
  assert.match(raw, /content-length: \d+\r\n/);
  assert.ok(raw.endsWith('\r\n\r\n'), `no body after the head: ${JSON.stringify(raw)}`);
  c.buf = Buffer.alloc(0);
  await c.write(getReq(s.port));
  const r = await c.response(5000);
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).status, 'ok');
  c.sock.destroy();
});

test('large keep-alive uploads one after another are never taken for pipelined ones', async () => {
  // Regression: the read mark came from two syscalls, and bytes arriving
  // between them (a large upload streams in) made a fresh head look
  // buffered: such POSTs were refused 503 and reset mid-upload.
  const s2 = await startSpider();
  try {
    const body = `{"pipe.large":[${Array.from({ length: 40000 }, (_, k) => (k % 997) + 0.5).join(',')}]}`;
    let posts = 0;
    const t0 = Date.now();
    while (posts < 400 && Date.now() - t0 < 15000) {
      const r = await post(s2.url, body);
      assert.equal(r.status, 200, r.body.slice(0, 200));
      posts++;
    }
    const m = (await get(s2.url, '/metrics')).body;
    assert.match(m, /spider_http_refused_total\{reason="pipelined"\} 0\n/);
    assert.equal((await get(s2.url, '/api/v1/series/pipe.large')).json.summary.count, posts * 40000);
  } finally {
    await s2.stop();
  }
});
