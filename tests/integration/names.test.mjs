// Series names and query parameters: every accepted name can be queried
// (names a path would fold are refused at ingest, with the reason, by the
// same rule as the query path, the live stream and the dashboard's URL), and
// a query parameter the server would not read is a 400 naming it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSpider, get, post } from './helpers.mjs';
import { isSeriesName, parseHash } from '../../web/url.js';

let s;
before(async () => {
  s = await startSpider();
});
after(() => s.stop());

const queryable = ['a/.b', 'a/', 'x.y', '...', '.a', 'a..b', 'a+b', 'a b', 'a%b', 'a?b#c', 'é/€'];
const folded = ['.', '..', './a', 'a/.', 'a/./b', 'a/../b', '/a', 'a//b'];

test('names a path would fold are refused at ingest with the reason; the others kept', async () => {
  const batch = {};
  for (const n of [...queryable, ...folded]) batch[n] = [1.5];
  const r = await post(s.url, batch);
  assert.equal(r.status, 200);
  assert.equal(r.json.accepted, queryable.length);
  assert.equal(r.json.rejected, folded.length);
  assert.match(JSON.stringify(r.json.errors), /no leading \/, \/\/, \. or \.\. segment/);
});

test('every accepted name answers at /api/v1/series/ + encodeURIComponent(name)', async () => {
  for (const n of queryable) {
    const r = await get(s.url, `/api/v1/series/${encodeURIComponent(n)}`);
    assert.equal(r.status, 200, n);
    assert.equal(r.json.name, n);
    assert.equal(r.json.summary.count, 1, n);
  }
});

test('in the path, + is a space and %2B a plus (as lws decodes it)', async () => {
  assert.equal((await get(s.url, '/api/v1/series/a+b')).json.name, 'a b');
  assert.equal((await get(s.url, '/api/v1/series/a%2Bb')).json.name, 'a+b');
});

test('query parameters: one the server does not read is a 400 that names it', async () => {
  const base = '/api/v1/series/x.y';
  const now = Date.now();
  let r = await get(s.url, `${base}?since=${now - 60000}&until=${now + 1000}`);
  assert.equal(r.status, 200);
  r = await get(s.url, `${base}?sinse=1`);
  assert.equal(r.status, 400);
  assert.equal(r.json.param, 'sinse');
  // a 9th parameter is not dropped
  const eight = Array.from({ length: 8 }, () => `since=${now - 60000}`).join('&');
  r = await get(s.url, `${base}?${eight}&until=1`);
  assert.equal(r.status, 400);
  assert.match(r.json.error, /more than 8/);
  assert.equal(r.json.param, 'until');
  // nor one longer than 1099 bytes (a selector's room)
  r = await get(s.url, `${base}?since=${'1'.repeat(1200)}`);
  assert.equal(r.status, 400);
  assert.match(r.json.error, /longer than 1099/);
  assert.equal(r.json.param, 'since');
  // the list reads none
  r = await get(s.url, '/api/v1/series?since=1');
  assert.equal(r.status, 400);
  assert.equal(r.json.param, 'since');
});

test('the dashboard URL applies the same rule', () => {
  for (const n of queryable) assert.ok(isSeriesName(n), n);
  for (const n of [...folded, '', 'a\tb', 'x'.repeat(201)]) assert.ok(!isSeriesName(n), JSON.stringify(n));
  const v = parseHash(`#s=${encodeURIComponent('a/../b')}&s=ok.name`);
  assert.deepEqual(v.series, ['ok.name']);
});
