// The query API against the real binary: percentiles over ranges agree with
// exact ones, per-second rows add up, parameters are checked, time moves on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startSpider, post, get, sleep, RawConn, exactQuantile, durations } from './helpers.mjs';

let spider;
before(async () => {
  spider = await startSpider();
});
after(async () => {
  await spider.stop();
});


test('percentiles over a range are within 1% of the exact ones', async () => {
  const now = Date.now();
  const start = now - 120000 - (now % 1000);
  const samples = [];
  const values = durations(20000, 7);
  values.forEach((v, i) => samples.push([start + (i % 100) * 1000 + (i % 997), v]));
  const r = await post(spider.url, { 'q.lognormal': samples });
  assert.equal(r.json.accepted, 20000);

  const check = async (since, until) => {
    const inRange = samples.filter(([t]) => t >= since && t < until).map(([, v]) => v).sort((a, b) => a - b);
    const q = await get(spider.url, `/api/v1/series/q.lognormal?since=${since}&until=${until}`);
    assert.equal(q.status, 200, q.body);
    const s = q.json.summary;
    assert.equal(s.count, inRange.length);
    assert.equal(s.min, inRange[0]);
    assert.equal(s.max, inRange[inRange.length - 1]);
    for (const [key, p] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]]) {
      const exact = exactQuantile(inRange, p);
      assert.ok(Math.abs(s[key] - exact) <= exact * 0.01, `${key} ${s[key]} vs exact ${exact}`);
    }
    // Per-second rows add up to the summary, and each row is its second's truth.
    assert.equal(q.json.seconds.reduce((a, row) => a + row[1], 0), inRange.length);
    const sumCol = q.json.seconds_columns.indexOf('sum');
    const total = q.json.seconds.reduce((a, row) => a + row[sumCol], 0);
    assert.ok(Math.abs(total - inRange.reduce((a, v) => a + v, 0)) < 1e-6 * total);
    return q.json;
  };
  const all = await check(start, start + 100000);
  assert.equal(all.seconds.length, 100);
  await check(start + 10000, start + 11000); // one second
  await check(start + 25000, start + 75000); // fifty seconds
  // Raw points: at most 100 per second, and each second's max is among them.
  const perSecond = new Map();
  for (const [t] of all.raw) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  for (const n of perSecond.values()) assert.ok(n <= 100, `${n} raw points in one second`);
  const maxCol = all.seconds_columns.indexOf('max');
  for (const row of all.seconds) {
    const kept = all.raw.filter(([t]) => t >= row[0] && t < row[0] + 1000).map(([, v]) => v);
    assert.ok(kept.includes(row[maxCol]), `the max ${row[maxCol]} of second ${row[0]} is kept raw`);
  }
});

test('the series list reports window stats and a recent rate', async () => {
  const r = await post(spider.url, { 'q.list': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
  assert.equal(r.json.accepted, 10);
  const list = await get(spider.url, '/api/v1/series');
  const s = list.json.series.find((x) => x.name === 'q.list');
  assert.ok(s, 'q.list is listed');
  assert.equal(s.count, 10);
  assert.equal(s.max, 10);
  assert.equal(s.min, 1);
  assert.ok(Math.abs(s.p50 - 5) <= 0.05, `p50 ${s.p50}`);
  assert.ok(s.last_seen_ms > Date.now() - 5000);
  const names = list.json.series.map((x) => x.name);
  assert.deepEqual(names, [...names].sort(), 'sorted by name');
});

test('bad parameters: 400 naming the parameter; unknown series: 404', async () => {
  await post(spider.url, { 'q.params': [1] });
  let r = await get(spider.url, '/api/v1/series/q.params?since=yesterday');
  assert.equal(r.status, 400);
  assert.equal(r.json.param, 'since');
  r = await get(spider.url, '/api/v1/series/q.params?since=2000&until=1000');
  assert.equal(r.status, 400);
  r = await get(spider.url, '/api/v1/series/q.params?color=red');
  assert.equal(r.status, 400);
  assert.match(r.json.error, /unknown query parameter/);
  r = await get(spider.url, '/api/v1/series/no.such.series');
  assert.equal(r.status, 404);
  assert.equal(r.json.series, 'no.such.series');
  r = await get(spider.url, `/api/v1/series/${encodeURIComponent('q params/ünï')}`);
  assert.equal(r.status, 404);
  assert.equal(r.json.series, 'q params/ünï', 'percent-encoded names are decoded');
});

test('time moves on without posts: a series leaves after the window', async () => {
  const s = await startSpider(['--window', '2s']);
  try {
    await post(s.url, { 'short.lived': [1, 2, 3] });
    let list = await get(s.url, '/api/v1/series');
    assert.deepEqual(list.json.series.map((x) => x.name), ['short.lived']);
    await sleep(4500);
    list = await get(s.url, '/api/v1/series');
    assert.deepEqual(list.json.series, []);
    const h = await get(s.url, '/healthz');
    assert.equal(h.json.series, 0);
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_store_series 0/);
  } finally {
    await s.stop();
  }
});

test('the memory budget holds under a flood of series and seconds', async () => {
  const s = await startSpider(['--memory-limit', '8MiB', '--max-series', '100000']);
  try {
    const now = Date.now();
    let accepted = 0;
    let rejected = 0;
    // 200 batches x 50 new series x 40 samples spread over 20 minutes of seconds.
    for (let b = 0; b < 200; b++) {
      const batch = {};
      for (let k = 0; k < 50; k++) {
        const samples = [];
        for (let i = 0; i < 40; i++) samples.push([now - ((b * 40 + i) % 1200) * 1000, (i * 37 + k) % 500]);
        batch[`flood.${b}.${k}`] = samples;
      }
      const r = await post(s.url, batch);
      assert.equal(r.status, 200);
      accepted += r.json.accepted;
      rejected += r.json.rejected;
    }
    assert.ok(rejected > 0, 'the budget bound');
    assert.ok(accepted > 0, 'samples were kept until it did');
    const m = (await get(s.url, '/metrics')).body;
    const bytes = Number(m.match(/^spider_store_bytes (\S+)$/m)[1]);
    assert.ok(bytes <= 8 * 1024 * 1024, `store bytes ${bytes} within the 8 MiB budget`);
    assert.match(m, /spider_samples_rejected_total\{protocol="json",reason="memory_budget"\} [1-9]/);
    // RSS is only meaningful without ASan (its shadow memory and quarantine).
    if (process.env.SPIDER_SANITIZED !== '1') {
      const status = readFileSync(`/proc/${s.proc.pid}/status`, 'utf8');
      const peakKiB = Number(status.match(/VmHWM:\s+(\d+)/)[1]);
      assert.ok(peakKiB <= (8 + 32) * 1024, `peak RSS ${peakKiB} KiB within budget + 32 MiB`);
    }
    // What was accepted is still there, exactly.
    const list = await get(s.url, '/api/v1/series');
    const kept = list.json.series.reduce((a, x) => a + x.count, 0);
    assert.equal(kept, accepted);
  } finally {
    await s.stop();
  }
});

// Posts `seconds` x `perSecond` samples of `name`, ending 5 s ago.
async function fill(s, name, seconds, perSecond) {
  const now = Date.now() - 5000;
  for (let start = 0; start < seconds; start += 50) {
    const pts = [];
    for (let sec = start; sec < Math.min(seconds, start + 50); sec++)
      for (let k = 0; k < perSecond; k++) pts.push(`[${now - sec * 1000 - (k % 1000)},${k + 0.5}]`);
    const r = await post(s.url, `{"${name}":[${pts.join(',')}]}`);
    assert.equal(r.json.accepted, pts.length);
  }
}

test('an answer larger than --answer-buffer is refused with a hint', async () => {
  const s = await startSpider(['--answer-buffer', '64KiB']);
  try {
    await fill(s, 'wide', 100, 100); // ~240 KB of raw points
    let r = await get(s.url, '/api/v1/series/wide');
    assert.equal(r.status, 400);
    assert.match(r.json.error, /--answer-buffer: narrow the range/);
    const until = Date.now();
    r = await get(s.url, `/api/v1/series/wide?since=${until - 20000}&until=${until}`);
    assert.equal(r.status, 200, 'a narrower range fits');
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_http_refused_total\{reason="answer_too_large"\} 1/);
  } finally {
    await s.stop();
  }
});

test('clients that do not read their answers cannot pin more than --answer-buffer', async () => {
  const s = await startSpider(['--answer-buffer', '20MiB', '--raw-per-second', '1000']);
  try {
    await fill(s, 'huge', 600, 1000); // an answer of ~14 MB
    const a = new RawConn(s.port);
    await a.ready();
    a.sock.pause(); // never reads: the answer waits in the server
    await a.write('GET /api/v1/series/huge HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await sleep(500);
    let r = await get(s.url, '/api/v1/series/huge');
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.match(r.json.error, /--answer-buffer/);
    a.sock.resume();
    const first = await a.response(20000);
    assert.equal(first.status, 200);
    r = await get(s.url, '/api/v1/series/huge');
    assert.equal(r.status, 200, 'room again once the first answer left');
    assert.equal(r.json.raw.length, 600000);
    a.destroy();
  } finally {
    await s.stop();
  }
});
