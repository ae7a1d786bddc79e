// Selectors and roll-ups over HTTP against the real binary: series posted
// with labels, GET /api/v1/series?match=, GET /api/v1/rollup grouped by
// labels (counts, sums, min and max exact; percentiles within 1% of the
// exact ones of the union of the group's samples), relative times, and the
// refusals with their counters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSpider, get, post, metric, exactQuantile, durations } from './helpers.mjs';

let spider;
const sent = {}; // series key -> durations
before(async () => {
  spider = await startSpider(['--max-rollup-series', '5']);
  const now = Date.now();
  const batch = {};
  let seed = 1;
  for (const route of ['/pay', '/cart']) {
    for (const status of ['200', '500']) {
      for (const zone of ['eu', 'us']) {
        if (route === '/cart' && zone === 'us') continue; // 6 series
        const key = `http.req{route="${route}",status="${status}",zone="${zone}"}`;
        const ms = durations(400, seed++).map((d) => (status === '500' ? d + 200 : d));
        sent[key] = ms;
        batch[key] = ms.map((d, i) => [now - 1000 - (i % 50) * 1000, d]);
      }
    }
  }
  const r = await post(spider.url, JSON.stringify(batch));
  assert.equal(r.status, 200, r.body);
});
after(async () => {
  await spider.stop();
});

const q = (params) =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');

function union(pred) {
  return Object.entries(sent)
    .filter(([k]) => pred(k))
    .flatMap(([, v]) => v)
    .sort((a, b) => a - b);
}

// Checks a [start, count, rate, sum, min, max, p50, p90, p99, p999] row.
function rowMatches(row, values, what) {
  assert.equal(row[1], values.length, `${what}: count`);
  const sum = values.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(row[3] - sum) <= 1e-6 * sum, `${what}: sum`);
  assert.equal(row[4], values[0], `${what}: min`);
  assert.equal(row[5], values[values.length - 1], `${what}: max`);
  [0.5, 0.9, 0.99, 0.999].forEach((p, i) => {
    const exact = exactQuantile(values, p);
    assert.ok(Math.abs(row[6 + i] - exact) <= 0.01 * exact, `${what}: q${p} ${row[6 + i]} vs ${exact}`);
  });
}

test('series?match selects by labels, regex included', async () => {
  const r = await get(spider.url, `/api/v1/series?${q({ match: 'http.req{status=~"5..",zone="eu"}' })}`);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(
    r.json.series.map((s) => s.name),
    ['http.req{route="/cart",status="500",zone="eu"}', 'http.req{route="/pay",status="500",zone="eu"}'],
  );
  const all = await get(spider.url, `/api/v1/series?${q({ match: 'http.req' })}`);
  assert.equal(all.json.series.length, 6);
});

test('rollup by a label: one group per value, exact against the union of the samples', async () => {
  // 4 series match (status 200 or 500 on zone eu): under --max-rollup-series 5
  const r = await get(spider.url, `/api/v1/rollup?${q({ match: 'http.req{zone="eu"}', by: 'status', since: '-5m', step: '1m' })}`);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.series, 4);
  assert.deepEqual(r.json.by, ['status']);
  assert.deepEqual(r.json.groups.map((g) => g.labels.status), ['200', '500']);
  for (const g of r.json.groups) {
    const values = union((k) => k.includes('zone="eu"') && k.includes(`status="${g.labels.status}"`));
    assert.equal(g.series, 2);
    rowMatches(g.summary, values, `status ${g.labels.status}`);
    // steps add up to the summary
    assert.equal(g.steps.reduce((a, s) => a + s[1], 0), values.length);
    for (const s of g.steps) assert.equal(s[0] % 60000, 0);
  }
});

test('rollup without by: one group of everything matched; merging groups is merging all', async () => {
  const whole = await get(spider.url, `/api/v1/rollup?${q({ match: 'http.req{route="/pay"}', since: '-5m' })}`);
  assert.equal(whole.status, 200, whole.body);
  assert.equal(whole.json.groups.length, 1);
  rowMatches(whole.json.groups[0].summary, union((k) => k.includes('route="/pay"')), 'route /pay');
  const parts = await get(spider.url, `/api/v1/rollup?${q({ match: 'http.req{route="/pay"}', by: 'zone,status', since: '-5m' })}`);
  assert.equal(parts.json.groups.length, 4);
  const count = parts.json.groups.reduce((a, g) => a + g.summary[1], 0);
  assert.equal(count, whole.json.groups[0].summary[1]);
});

test('relative times in the series query', async () => {
  const name = 'http.req{route="/pay",status="200",zone="eu"}';
  const r = await get(spider.url, `/api/v1/series/${encodeURIComponent(name)}?since=-10s&until=now`);
  assert.equal(r.status, 200, r.body);
  assert.ok(r.json.summary.count > 0 && r.json.summary.count < 400, String(r.json.summary.count));
  const bad = await get(spider.url, `/api/v1/series/${encodeURIComponent(name)}?since=-10x`);
  assert.equal(bad.status, 400);
  assert.match(bad.json.error, /duration before now/);
});

test('refusals: bad selectors, too many series (counted), unknown parameters', async () => {
  let r = await get(spider.url, `/api/v1/rollup?${q({ match: 'http.req{zone=~"("}' })}`);
  assert.equal(r.status, 400);
  assert.match(r.json.error, /match: invalid regular expression/);
  r = await get(spider.url, `/api/v1/rollup?${q({ by: 'zone' })}`);
  assert.equal(r.status, 400);
  assert.match(r.json.error, /match is required/);
  const before = await metric(spider.url, 'spider_http_refused_total{reason="rollup_limit"}');
  r = await get(spider.url, `/api/v1/rollup?${q({ match: 'http.req' })}`); // 6 > 5
  assert.equal(r.status, 400);
  assert.match(r.json.error, /more than 5 series \(--max-rollup-series\)/);
  assert.equal(await metric(spider.url, 'spider_http_refused_total{reason="rollup_limit"}'), before + 1);
  r = await get(spider.url, `/api/v1/rollup?${q({ match: 'http.req', bogus: '1' })}`);
  assert.equal(r.status, 400);
  r = await get(spider.url, `/api/v1/series?${q({ match: 'x', other: '1' })}`);
  assert.equal(r.status, 400);
  assert.match(r.json.error, /unknown query parameter \(expected match\)/);
});
