// POST /api/v1/points against the real binary: round trips, every error
// answer, hostile bodies that must leave the store intact, keep-alive and
// the absolute body deadline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSpider, post, get, RawConn, postRequest, sleep } from './helpers.mjs';

let spider;
before(async () => {
  spider = await startSpider(['--max-body', '2MiB', '--body-timeout', '3s']);
});
after(async () => {
  assert.equal(await spider.stop(), 0, 'spider exits 0 on SIGTERM');
});

async function seriesCount(name) {
  const r = await get(spider.url, `/api/v1/series/${encodeURIComponent(name)}`);
  return r.status === 404 ? 0 : r.json.summary.count;
}

test('post then query: exact counts, both sample forms', async () => {
  const now = Date.now();
  const r = await post(spider.url, {
    'rt.a': [12.5, 8.1, 30],
    'rt.b': [[now - 5000, 4.2], [now - 4000, 7]],
  });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json, { accepted: 5, rejected: 0, errors: [] });
  assert.equal(await seriesCount('rt.a'), 3);
  assert.equal(await seriesCount('rt.b'), 2);
  const b = await get(spider.url, '/api/v1/series/rt.b');
  assert.deepEqual(b.json.raw.map((p) => p[1]).sort(), [4.2, 7]);
  assert.deepEqual(b.json.raw.map((p) => p[0]).sort(), [now - 5000, now - 4000]);
  const list = await get(spider.url, '/api/v1/series');
  assert.equal(list.status, 200);
  const names = list.json.series.map((s) => s.name);
  assert.ok(names.includes('rt.a') && names.includes('rt.b'), names.join(','));
});

test('per-sample rejects are counted and explained, the rest is kept', async () => {
  const now = Date.now();
  const r = await post(
    spider.url,
    `{"rej.ok":[1,-2,1e400,[${now - 3600 * 1000},1],[${now + 3600 * 1000},1],[1.5,1],3],"":[1]}`,
  );
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.accepted, 2);
  assert.equal(r.json.rejected, 6);
  const reasons = r.json.errors.map((e) => e.reason);
  assert.deepEqual(reasons, [
    'negative duration',
    'duration is not a finite number',
    'timestamp older than the window',
    'timestamp more than 60 s in the future',
    'timestamp is not a non-negative integer of unix ms',
    'bad series name (1-200 bytes of UTF-8, no control characters, no leading /, //, . or .. segment)',
  ]);
  for (const e of r.json.errors) assert.equal(typeof e.offset, 'number');
  assert.equal(r.json.errors[0].series, 'rej.ok');
  assert.equal(await seriesCount('rej.ok'), 2);
  const m = await get(spider.url, '/metrics');
  assert.match(m.body, /spider_samples_rejected_total\{protocol="json",reason="negative"\} [1-9]/);
  assert.match(m.body, /spider_samples_rejected_total\{protocol="json",reason="too_old"\} [1-9]/);
});

test('malformed JSON: 400 with message and offset, nothing applied', async () => {
  const r = await post(spider.url, '{"bad.partial":[1,2,3],"x":[1,}');
  assert.equal(r.status, 400);
  assert.equal(typeof r.json.error, 'string');
  assert.ok(r.json.error.length > 5);
  assert.equal(r.json.offset, 30);
  assert.equal(await seriesCount('bad.partial'), 0, 'a 400 applies nothing');
});

test('hostile bodies answer clearly and leave the store intact', async () => {
  await post(spider.url, { 'keep.me': [1, 2, 3, 4] });
  const hostile = [
    ['truncated', '{"keep.me":[1,2', 400],
    ['deep nesting', '['.repeat(10000), 400],
    ['deep nesting in value', '{"keep.me":' + '['.repeat(10000) + ']'.repeat(10000) + '}', 400],
    ['empty', '', 400],
    ['NUL bytes', Buffer.from('{"keep.me":[1\u0000,2]}'), 400],
    ['not an object', '[1,2,3]', 400],
    ['string value', '{"keep.me":"fast"}', 400],
    ['bad utf-8 name', Buffer.concat([Buffer.from('{"'), Buffer.from([0xff, 0xfe]), Buffer.from('":[1]}')]), 200],
    ['1 MiB name', '{"' + 'n'.repeat(1 << 20) + '":[1]}', 200],
    ['1e400', '{"keep.me":[1e400]}', 200],
    ['trailing garbage', '{"keep.me":[1]} x', 400],
  ];
  for (const [what, body, status] of hostile) {
    const r = await post(spider.url, body);
    assert.equal(r.status, status, `${what}: ${r.body}`);
    assert.ok(r.json, `${what}: answer is JSON`);
    if (status === 400) {
      assert.equal(typeof r.json.error, 'string', what);
      assert.equal(typeof r.json.offset, 'number', what);
    } else {
      assert.equal(r.json.accepted, 0, what);
      assert.equal(r.json.rejected, 1, what);
    }
  }
  assert.equal(await seriesCount('keep.me'), 4, 'what was accepted before is intact');
  const health = await get(spider.url, '/healthz');
  assert.equal(health.status, 200);
});

test('wrong method 405, wrong type 415, no length 411, chunked 411, over limit 413', async () => {
  let r = await get(spider.url, '/api/v1/points');
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'POST');
  assert.match(r.json.error, /POST/);
  r = await post(spider.url, '{}', { 'content-type': 'text/plain' });
  assert.equal(r.status, 415);
  assert.match(r.json.error, /application\/json/);
  r = await post(spider.url, '{"t":[1]}', { 'content-type': 'application/json; charset=utf-8' });
  assert.equal(r.status, 200, 'charset parameter is fine');

  const c = new RawConn(spider.port);
  await c.ready();
  await c.write('POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n');
  let a = await c.response();
  assert.equal(a.status, 411);
  assert.match(a.body, /Content-Length/);
  c.destroy();

  const ch = new RawConn(spider.port);
  await ch.ready();
  await ch.write(
    'POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n0\r\n\r\n',
  );
  a = await ch.response();
  assert.equal(a.status, 411);
  ch.destroy();

  // 413 from the header alone: the 3 MiB body is never sent.
  const big = new RawConn(spider.port);
  await big.ready();
  await big.write(
    'POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${3 << 20}\r\n\r\n{"a":[`,
  );
  a = await big.response();
  assert.equal(a.status, 413);
  assert.equal(JSON.parse(a.body).limit_bytes, 2 << 20);
  assert.ok(await big.closedWithin(3000), 'connection closed after a 413');
  big.destroy();

  r = await get(spider.url, '/no/such/path');
  assert.equal(r.status, 404);
  assert.equal(r.json.path, '/no/such/path');
  const m = await get(spider.url, '/metrics');
  for (const reason of ['method_not_allowed', 'unsupported_media_type', 'length_required', 'body_too_large', 'not_found'])
    assert.match(m.body, new RegExp(`spider_http_refused_total\\{reason="${reason}"\\} [1-9]`));
});

test('a 1.9 MiB batch under the limit is accepted whole', async () => {
  const n = Math.floor((1.9 * (1 << 20)) / 8);
  const body = `{"big.batch":[${'123.456,'.repeat(n - 1)}123.456]}`;
  assert.ok(body.length > 1.8 * (1 << 20) && body.length < 2 * (1 << 20));
  const r = await post(spider.url, body);
  assert.equal(r.status, 200, r.body.slice(0, 200));
  assert.equal(r.json.accepted, n);
  assert.equal(await seriesCount('big.batch'), n);
});

test('1,000 posts on one keep-alive connection', async () => {
  const c = new RawConn(spider.port);
  await c.ready();
  for (let i = 0; i < 1000; i++) {
    await c.write(postRequest(`{"ka.series":[${i}]}`));
    const a = await c.response();
    assert.ok(a, `connection still open at request ${i}`);
    assert.equal(a.status, 200);
  }
  assert.equal(c.closed, false);
  c.destroy();
  assert.equal(await seriesCount('ka.series'), 1000);
});

test('a body dripped one byte a second is cut off at the body deadline', async () => {
  const c = new RawConn(spider.port);
  await c.ready();
  const body = '{"drip":[' + '1,'.repeat(50) + '1]}';
  await c.write(
    'POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${body.length}\r\n\r\n`,
  );
  const start = Date.now();
  for (let i = 0; i < body.length && !c.closed; i++) {
    await c.write(body[i]);
    await sleep(1000);
    if (Date.now() - start > 10000) break;
  }
  assert.ok(c.closed, 'server closed the dripping connection');
  const took = c.closedAt - start;
  assert.ok(took >= 2500 && took <= 5500, `closed after ${took} ms (body timeout 3 s)`);
  assert.equal(await seriesCount('drip'), 0);
  const m = await get(spider.url, '/metrics');
  assert.match(m.body, /spider_http_refused_total\{reason="body_timeout"\} 1/);
});

test('Expect: 100-continue gets the interim answer before the body is sent', async () => {
  const c = new RawConn(spider.port);
  await c.ready();
  const body = '{"expect.continue":[1,2]}';
  await c.write(
    'POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
  );
  const interim = await c.response(3000);
  assert.equal(interim.status, 100, 'no body sent yet, and the server invites it');
  await c.write(body);
  const a = await c.response();
  assert.equal(a.status, 200);
  assert.equal(JSON.parse(a.body).accepted, 2);
  c.destroy();
});

test('uploads beyond the ingest buffer get 503 with Retry-After, and nothing is lost', async () => {
  const s = await startSpider(['--max-body', '1MiB', '--ingest-buffer', '1MiB']);
  try {
    const body = `{"buffered":[${'1,'.repeat(200000)}1]}`; // ~400 KB
    const head = 'POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${body.length}\r\n\r\n`;
    const a = new RawConn(s.port);
    const b = new RawConn(s.port);
    const c = new RawConn(s.port);
    await Promise.all([a.ready(), b.ready(), c.ready()]);
    await a.write(head + body.slice(0, 1000)); // A holds 400 KB of the buffer
    await sleep(200);
    await b.write(head + body.slice(0, 1000)); // B: 800 KB in all, still fits
    await sleep(200);
    await c.write(head);                      // C would need 1.2 MB: refused
    const refused = await c.response();
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.match(JSON.parse(refused.body).error, /ingest-buffer/);
    await a.write(body.slice(1000));
    await b.write(body.slice(1000));
    assert.equal((await a.response()).status, 200);
    assert.equal((await b.response()).status, 200);
    // Once the others are done there is room again.
    const r = await post(s.url, body);
    assert.equal(r.status, 200);
    const q = await get(s.url, '/api/v1/series/buffered');
    assert.equal(q.json.summary.count, 3 * 200001);
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_http_refused_total\{reason="ingest_buffer_full"\} 1/);
    [a, b, c].forEach((x) => x.destroy());
  } finally {
    await s.stop();
  }
});
