// The dashboard's series panels in headless Chromium, against the real
// server: a panel draws the posted points and the per-second p50/p99 of the
// detail stream (read from the chart's own data, not pixels), its range p99
// equals the query API's, range / pause / heatmap / URL state work, the page
// reconnects by itself to a restarted server, and a hostile series name is
// shown as text only. Labels: the list groups series by name, the selector
// box filters it through /api/v1/series?match= (a bad selector's error shown
// as text), roll-up panels draw the rollup API's rows (merged, and split by a
// label with one line per value and a server-merged "others"), and hostile
// label values stay text in the list, the legend and the tooltips. No console error, page error, dialog or CSP violation
// may happen on the way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSpider, post, get, sleep } from './helpers.mjs';
import { SeriesData } from '../../web/detail.js';
import { DEFAULT_SCHEME, quantiles, quantilesDense } from '../../web/hist.js';
import { splitKey, withMatchers, nameSelector, quoteValue } from '../../web/keys.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
let spider;
let browser;
let page;
const problems = [];

before(async () => {
  spider = await startSpider(['--raw-per-second', '100']);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await spider?.stop();
});

// Every console error, page error, dialog and CSP violation is a problem,
// but for Chromium's own line about a 400 answer to a selector the tests
// make bad on purpose (the page shows the server's error as text).
async function watch(p) {
  p.on('console', (m) => {
    if (m.type() !== 'error') return;
    const expected = /status of 400/.test(m.text()) && /\/api\/v1\/series\?match=[^&]*%22\(%22/.test(m.location().url);
    if (!expected) problems.push(`console: ${m.text()} ${m.location().url}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  await p.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}`));
  });
  return p;
}

async function newPage(hash = '') {
  const p = await watch(await browser.newPage({ viewport: { width: 1400, height: 900 } }));
  await p.goto(`${spider.url}/${hash}`);
  await p.waitForFunction(() => document.querySelector('#connection')?.dataset.state === 'live');
  return p;
}

// Samples at explicit times in closed seconds of the recent past: 40 a
// second over 8 seconds, values exact in float32 (the server's raw points).
function samples(endSecondsAgo, seconds = 8, perSecond = 40, scale = 1) {
  const end = (Math.floor(Date.now() / 1000) - endSecondsAgo) * 1000;
  const pts = [];
  for (let s = 0; s < seconds; s++)
    for (let i = 0; i < perSecond; i++)
      pts.push([end - (seconds - s) * 1000 + i * 23, scale * (1 + ((i * 7 + s * 13) % 40) * 0.25)]);
  return pts;
}

// The chart's own data of a panel: points, p50/p99 lines, heat cells, axis.
function chartData(p, name) {
  return p.evaluate((n) => {
    const chart = window.spiderDashboard.chart(n);
    if (!chart) return null;
    const opt = chart.getOption();
    const series = (id) => {
      const s = opt.series.find((x) => x.id === id);
      return s ? Array.from(s.data) : null;
    };
    const y = opt.yAxis[0];
    const fmt = typeof y.axisLabel?.formatter === 'function' ? y.axisLabel.formatter : null;
    return {
      points: series('points'), p50: series('p50'), p99: series('p99'), heat: series('heat'),
      p50few: series('p50-few'), p99few: series('p99-few'),
      connectNulls: opt.series.find((x) => x.id === 'p99')?.connectNulls,
      legend: opt.legend?.[0]?.data ?? [],
      xMin: opt.xAxis[0].min, xMax: opt.xAxis[0].max, yType: y.type, yMin: y.min, yMax: y.max,
      // What the y labels read for a few values (the unit must be on each).
      yLabels: fmt ? [0.0005, 0.25, 8, 120, 2500].map((v) => fmt(v)) : [],
    };
  }, name);
}

// The drawn values of a line: [t, v] of its steps with a value.
const drawn = (line) => line.filter((d) => d[1] !== null).map(([t, v]) => [t, v]);
const pairs = (flat, k = 2) => Array.from({ length: flat.length / k }, (_, i) => flat.slice(k * i, k * i + k));
const byTime = (a, b) => a[0] - b[0] || a[1] - b[1];

async function waitPoints(p, name, count, timeout = 10000) {
  await p.waitForFunction(([n, c]) => {
    const r = window.spiderDashboard.rendered(n);
    return r && r.points && r.points.length / 2 === c;
  }, [name, count], { timeout });
}

test('the per-series store replaces a resent second, keeps seconds ordered, prunes', () => {
  const d = new SeriesData('x');
  const msg = (reset, secs) => ({
    reset, more: false,
    seconds: secs.map(([t, vals]) => [t, vals.length, 0, Math.min(...vals), Math.max(...vals), 0, 0, 0]),
    raw: secs.map(([t, vals]) => [t, vals.flatMap((v, i) => [i, v])]),
    hist: secs.map(([t]) => [t, [1000, 1]]),
  });
  d.apply(msg(true, [[1000, [1, 2]], [3000, [5]]]));
  d.apply(msg(false, [[3000, [5, 6, 7]], [2000, [4]]])); // 3000 resent whole, 2000 late
  assert.deepEqual(d.starts, [1000, 2000, 3000]);
  assert.equal(d.points, 6);
  assert.deepEqual(Array.from(d.scatter(0, 4000)), [1000, 1, 1001, 2, 2000, 4, 3000, 5, 3001, 6, 3002, 7]);
  assert.deepEqual(Array.from(d.scatter(2000, 3000)), [2000, 4]);
  d.prune(2000);
  assert.deepEqual(d.starts, [2000, 3000]);
  assert.equal(d.points, 4);
  assert.equal(d.summary(DEFAULT_SCHEME, 0, 4000).count, 2); // one bucket entry a second here
  d.apply(msg(true, [[5000, [9]]]));
  assert.deepEqual(d.starts, [5000]);
});

test('per-step merges: dense quantiles equal the Map ones; a kept step is recomputed when a second is resent', () => {
  const scheme = DEFAULT_SCHEME;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 200; trial++) {
    const counts = new Map();
    const dense = new Float64Array(scheme.buckets);
    let total = 0;
    for (let i = 0, n = 1 + Math.floor(rnd() * 30); i < n; i++) {
      const b = Math.floor(rnd() * scheme.buckets);
      const c = 1 + Math.floor(rnd() * 5);
      counts.set(b, (counts.get(b) ?? 0) + c);
      dense[b] += c;
      total += c;
    }
    const qs = [0.5, 0.9, 0.99, 0.999];
    assert.deepEqual(quantilesDense(scheme, dense, total, 0, 1e9, qs), quantiles(scheme, counts, total, 0, 1e9, qs));
  }
  const d = new SeriesData('x');
  const sec = (t, bucket, count) => ({ reset: false, more: false, seconds: [[t, count, 0, 1, 2, 0, 0, 0]], raw: [[t, []]], hist: [[t, [bucket, count]]] });
  d.apply({ ...sec(3000, 100, 1), reset: true });
  d.apply(sec(4000, 100, 1));
  const a = d.steps(scheme, 0, 9000, 3000, [0.5]);
  assert.deepEqual(Array.from(a.count), [0, 2, 0]);
  d.apply(sec(4000, 200, 5)); // resent: the kept step must change
  const b = d.steps(scheme, 0, 9000, 3000, [0.5]);
  assert.deepEqual(Array.from(b.count), [0, 6, 0]);
  d.prune(4000);
  assert.deepEqual(Array.from(d.steps(scheme, 0, 9000, 3000, [0.5]).count), [0, 5, 0]);
  // Only steps with samples are kept, and none older than what is held.
  assert.deepEqual([...d.stepCache.map.keys()], [3000]);
  d.prune(6000);
  assert.deepEqual([...d.stepCache.map.keys()], []);
});

test('keys and selectors are read as the server reads them', () => {
  assert.deepEqual(splitKey('http.req{route="/pay",status="200"}'), { name: 'http.req', labels: [['route', '/pay'], ['status', '200']] });
  assert.deepEqual(splitKey('GET /users/{id}'), { name: 'GET /users/{id}', labels: [] });
  assert.deepEqual(splitKey('GET /users/{id}{service="web"}'), { name: 'GET /users/{id}', labels: [['service', 'web']] });
  assert.deepEqual(splitKey('a{v="x\\"}y\\\\"}'), { name: 'a', labels: [['v', 'x"}y\\']] });
  assert.deepEqual(splitKey('plain'), { name: 'plain', labels: [] });
  assert.equal(quoteValue('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(nameSelector('http.req'), 'http.req');
  assert.equal(nameSelector('GET /u/{id}'), '{__name__="GET /u/{id}"}');
  assert.equal(withMatchers('http.req', 'a!="1"'), 'http.req{a!="1"}');
  assert.equal(withMatchers('http.req{ b = "2", }', 'a!="1"'), 'http.req{b = "2",a!="1"}');
  assert.equal(withMatchers('x{b=~"}{"}', 'a!="1"'), 'x{b=~"}{",a!="1"}');
  assert.equal(withMatchers('{}', 'a!="1"'), '{a!="1"}');
  assert.equal(withMatchers('GET /users/{id}', 'a!="1"'), 'GET /users/{id}{a!="1"}');
});

test('a panel draws the posted points and per-second p50/p99; its range p99 is the query API\'s', async () => {
  const pts = samples(3);
  assert.equal((await post(spider.url, { 'shop.db': pts })).json.accepted, pts.length);
  page = await newPage();
  await page.waitForSelector('#series-table tbody tr[data-series="shop.db"]');
  await page.click('#series-table tbody tr[data-series="shop.db"]');
  await page.waitForSelector('.panel[data-series="shop.db"]');
  assert.match(new URL(page.url()).hash, /s=shop\.db/);
  await waitPoints(page, 'shop.db', pts.length);

  const data = await chartData(page, 'shop.db');
  assert.deepEqual(pairs(data.points).sort(byTime), pts.slice().sort(byTime), 'the chart holds every posted point');

  // The panel's range and its figures, and the query API over the same range.
  const panel = await page.$eval('.panel[data-series="shop.db"]', (el) => ({ ...el.dataset }));
  const q = await get(spider.url, `/api/v1/series/shop.db?since=${panel.since}&until=${panel.until}`);
  assert.equal(q.status, 200);
  assert.equal(Number(panel.count), q.json.summary.count);
  assert.equal(Number(panel.p99), q.json.summary.p99, 'range p99 from the merged histograms = the server\'s');
  assert.equal(Number(panel.p50), q.json.summary.p50);
  assert.equal(Number(panel.max), q.json.summary.max);
  assert.match(await page.textContent('.panel[data-series="shop.db"] .panel-stats'), /p99 /);
  // The lines: 1 s steps at 5 minutes, each the merge of its histograms,
  // equal to the roll-up API's steps. 40 samples a second are too few for a
  // p99: no p99 value is drawn, each step's is a marker; empty steps are nulls.
  assert.equal(Number(panel.step), 1000);
  const ru = await get(spider.url, `/api/v1/rollup?match=shop.db&step=1s&since=${panel.since}&until=${panel.until}`);
  const rcols = ru.json.columns;
  const steps = ru.json.groups[0].steps;
  assert.equal(steps.length, 8);
  assert.deepEqual(drawn(data.p50), steps.map((r) => [r[0], r[rcols.indexOf('p50')]]));
  assert.deepEqual(drawn(data.p99), [], 'no p99 drawn from 40 samples');
  assert.deepEqual(data.p99few.map(([t, v]) => [t, v]), steps.map((r) => [r[0], r[rcols.indexOf('p99')]]));
  assert.equal(data.p50.length, 300, 'one entry per step of the range');
  assert.ok(data.p50.filter((d) => d[1] === null).length >= 300 - 8, 'empty steps are nulls');
  assert.equal(data.connectNulls, false);
  // The x axis is the 5 minute default range, ending with the current second.
  assert.equal(data.xMax - data.xMin, 300000);
  assert.ok(Math.abs(data.xMax - Date.now()) < 5000);

  // Live: a second posted now appears without reloading (the open second may
  // be sent several times: the panel replaces it, never doubles it).
  const more = samples(0, 1, 30, 3);
  await post(spider.url, { 'shop.db': more });
  await waitPoints(page, 'shop.db', pts.length + more.length);
  await sleep(1500); // a later resend of that second must not double it either
  assert.equal((await chartData(page, 'shop.db')).points.length / 2, pts.length + more.length);

  // Hovering a point shows its exact time and duration.
  const [t, ms] = pts[pts.length - 1];
  const box = await page.$eval('.panel[data-series="shop.db"] .panel-chart', (el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y };
  });
  const [px, py] = await page.evaluate(([tt, v]) =>
    window.spiderDashboard.chart('shop.db').convertToPixel({ seriesId: 'points' }, [tt, v]), [t, ms]);
  await page.mouse.move(box.x + px, box.y + py);
  const d = new Date(t);
  const stamp = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:` +
    `${String(d.getSeconds()).padStart(2, '0')}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  await page.waitForFunction(([s, v]) => [...document.querySelectorAll('.panel-chart div')]
    .some((el) => el.textContent.includes(s) && el.textContent.includes(`${v} ms`)), [stamp, ms]);

  const shot = path.join(process.env.SPIDER_ARTIFACTS || tmpdir(), 'dashboard-panel.png');
  await page.screenshot({ path: shot });
});

test('range, y scale, heatmap and pause/resume; the URL keeps the view', async () => {
  // 1 minute: the axis spans 60 s, and points older than that leave the chart.
  const old = samples(90, 2, 10);
  await post(spider.url, { 'shop.db': old });
  await page.click('#toolbar button[data-value="900"]');
  const all = (await get(spider.url, '/api/v1/series/shop.db')).json.summary.count;
  await waitPoints(page, 'shop.db', all);
  await page.click('#toolbar button[data-value="60"]');
  await page.waitForFunction(() => {
    const r = window.spiderDashboard.rendered('shop.db');
    return r && r.until - r.since === 60000;
  });
  const recent = await page.evaluate(() => {
    const r = window.spiderDashboard.rendered('shop.db');
    return { since: r.since, n: r.points.length / 2 };
  });
  const q = await get(spider.url, `/api/v1/series/shop.db?since=${recent.since}`);
  assert.equal(recent.n, q.json.raw.length, 'only the points of the last minute');
  assert.ok(recent.n < all);
  assert.match(new URL(page.url()).hash, /range=1m/);

  // Log y axis.
  await page.click('#toolbar button[data-value="log"]');
  await page.waitForFunction(() => window.spiderDashboard.chart('shop.db').getOption().yAxis[0].type === 'log');
  assert.match(new URL(page.url()).hash, /y=log/);

  // Heatmap: cells from the histogram rows; their counts add up to the range's count.
  await page.click('#toolbar button[data-value="heatmap"]');
  await page.waitForFunction(() => window.spiderDashboard.chart('shop.db').getOption().series.some((s) => s.id === 'heat'));
  const heat = await page.evaluate(() => {
    const r = window.spiderDashboard.rendered('shop.db');
    const opt = window.spiderDashboard.chart('shop.db').getOption();
    const cells = Array.from(opt.series.find((s) => s.id === 'heat').data);
    let total = 0;
    for (let i = 4; i < cells.length; i += 5) total += cells[i];
    return { total, since: r.since, until: r.until, points: opt.series.some((s) => s.id === 'points') };
  });
  const hq = await get(spider.url, `/api/v1/series/shop.db?since=${heat.since}&until=${heat.until}`);
  assert.equal(heat.total, hq.json.summary.count);
  // Its colour legend: pieces of whole counts from 1 to the largest cell's, no gap.
  const pieces = await page.evaluate(() => {
    const vm = window.spiderDashboard.chart('shop.db').getOption().visualMap?.[0];
    return vm && { dim: vm.dimension, pieces: vm.pieces.map((x) => [x.gte, x.lte, x.label, x.color]), top: window.spiderDashboard.rendered('shop.db').heat.top };
  });
  assert.equal(pieces.dim, 4);
  assert.equal(pieces.pieces[0][0], 1);
  assert.equal(pieces.pieces[pieces.pieces.length - 1][1], pieces.top);
  for (let i = 1; i < pieces.pieces.length; i++) assert.equal(pieces.pieces[i][0], pieces.pieces[i - 1][1] + 1);
  assert.ok(pieces.pieces.every(([lo, hi, label]) => label === (lo === hi ? `${lo}` : `${lo}–${hi}`)));
  assert.equal(heat.points, false, 'no scatter in heatmap mode');
  assert.match(new URL(page.url()).hash, /mode=heatmap/);

  // Back to points; pause: new data is taken in but not drawn until resume.
  await page.click('#toolbar button[data-value="scatter"]');
  await page.click('#toolbar button[data-value="linear"]');
  await page.waitForFunction(() => window.spiderDashboard.rendered('shop.db')?.points?.length > 0);
  await page.click('#pause');
  assert.equal(await page.textContent('#pause'), 'resume');
  const frozen = await page.evaluate(() => window.spiderDashboard.rendered('shop.db'));
  const late = samples(0, 1, 5, 7);
  await post(spider.url, { 'shop.db': late });
  // The data arrives (held in the state) ...
  await page.waitForFunction((t) => {
    const d = window.spiderDashboard.state.detail.get('shop.db');
    return d.bySecond.has(Math.floor(t / 1000) * 1000);
  }, late[0][0]);
  await sleep(1200);
  // ... while the chart keeps the frozen view.
  const still = await page.evaluate(() => window.spiderDashboard.rendered('shop.db'));
  assert.deepEqual([still.since, still.until, still.points.length], [frozen.since, frozen.until, frozen.points.length]);
  await page.click('#pause');
  await page.waitForFunction((t) => {
    const r = window.spiderDashboard.rendered('shop.db');
    for (let i = 0; i < r.points.length; i += 2) if (r.points[i] === t) return true;
    return false;
  }, late[0][0]);

  // The URL reopens the same view in a new page.
  const url = page.url();
  const again = await watch(await browser.newPage());
  try {
    await again.goto(url);
    await again.waitForSelector('.panel[data-series="shop.db"]');
    await again.waitForFunction(() => window.spiderDashboard.rendered('shop.db')?.points?.length > 0);
    const v = await again.evaluate(() => window.spiderDashboard.view());
    assert.deepEqual([v.series, v.rangeS, v.mode, v.y], [['shop.db'], 60, 'scatter', 'linear']);
    assert.equal(await again.getAttribute('#toolbar button[data-value="60"]', 'aria-pressed'), 'true');
  } finally {
    await again.close();
  }
});

test('honest lines: merged histograms per step, equal to the roll-up API; gaps break; few samples are markers', async () => {
  // At 15 minutes the step is 3 s. One busy second (150 samples, a slow
  // tail), a quiet one 30 s later (20 samples), gaps all around.
  const now = Math.floor(Date.now() / 1000) * 1000;
  const busy = Array.from({ length: 150 }, (_, i) => [now - 60000 + i * 6, i < 147 ? 2 + (i % 10) * 0.5 : 900 + i]);
  const quiet = Array.from({ length: 20 }, (_, i) => [now - 30000 + i * 40, 3 + i * 0.25]);
  await post(spider.url, { 'honest.lines': [...busy, ...quiet] });
  const p = await newPage('#range=15m&s=honest.lines');
  try {
    await waitPoints(p, 'honest.lines', 100 + 20); // --raw-per-second 100 keeps 100 of the busy second
    const data = await chartData(p, 'honest.lines');
    const panel = await p.$eval('.panel[data-series="honest.lines"]', (el) => ({ ...el.dataset }));
    assert.equal(Number(panel.step), 3000, '3 s steps at 15 minutes');
    const q = await get(spider.url, `/api/v1/rollup?match=honest.lines&step=3s&since=${panel.since}&until=${panel.until}`);
    const cols = q.json.columns;
    const steps = q.json.groups[0].steps;
    assert.equal(steps.length, 2);
    const [big, small] = steps;
    assert.equal(big[cols.indexOf('count')], 150);
    assert.equal(small[cols.indexOf('count')], 20);
    // Every drawn value is the API's for the same step (same histograms, same merge).
    assert.deepEqual(drawn(data.p50), steps.map((r) => [r[0], r[cols.indexOf('p50')]]));
    assert.deepEqual(drawn(data.p99), [[big[0], big[cols.indexOf('p99')]]], 'p99 drawn only where a step has >= 100 samples');
    assert.ok(big[cols.indexOf('p99')] < big[cols.indexOf('max')], 'a real p99, not the max');
    // The quiet step's p99 is not a value of the line but a marker (= its max).
    const at = (line, t) => line.find((d) => d[0] === t);
    assert.equal(at(data.p99, small[0])[1], null);
    assert.deepEqual(data.p99few.map(([t, v]) => [t, v]), [[small[0], small[cols.indexOf('p99')]]]);
    assert.equal(small[cols.indexOf('p99')], small[cols.indexOf('max')]);
    // The steps between them have no samples: nulls, and the line is not joined.
    const between = data.p50.filter((d) => d[0] > big[0] && d[0] < small[0]);
    assert.equal(between.length, (small[0] - big[0]) / 3000 - 1);
    assert.ok(between.every((d) => d[1] === null));
    assert.equal(data.connectNulls, false);
    // The legend names the lines and says why a p99 is a marker.
    assert.deepEqual(data.legend, ['p50', 'p99 (steps of ≥ 100 samples)', 'p99 of < 100 samples (= max)']);
    assert.match(await p.textContent('.panel[data-series="honest.lines"] .panel-note'), /3 s steps.*≥ 100 samples/);
    // The header keeps the exact figures of the whole range.
    const s = (await get(spider.url, `/api/v1/series/honest.lines?since=${panel.since}&until=${panel.until}`)).json.summary;
    assert.deepEqual([Number(panel.count), Number(panel.p50), Number(panel.p99)], [s.count, s.p50, s.p99]);

    // Readable axes in every mode and scale, whatever came before: human
    // units on every y label, a range that follows the data (a log axis
    // ends within a quarter of the data, not a decade above it).
    const dataMin = 2;
    const dataMax = 900 + 149;
    for (const [mode, y] of [['scatter', 'log'], ['heatmap', 'log'], ['heatmap', 'linear'], ['scatter', 'linear'], ['scatter', 'log']]) {
      await p.click(`#toolbar button[data-value="${mode}"]`);
      await p.click(`#toolbar button[data-value="${y}"]`);
      await p.waitForFunction(([m, yy]) => {
        const r = window.spiderDashboard.rendered('honest.lines');
        return r?.mode === m && r?.y === yy;
      }, [mode, y]);
      const c = await chartData(p, 'honest.lines');
      const what = `${mode}/${y}`;
      assert.equal(c.yType, y === 'log' ? 'log' : 'value', what);
      assert.deepEqual(c.yLabels, ['0.5 µs', '250 µs', '8 ms', '120 ms', '2.5 s'], `${what}: units on the labels`);
      if (y === 'log') {
        // (Heat cells span their band, up to ~9% around the data.)
        assert.ok(c.yMin >= dataMin / 1.5 && c.yMin < dataMin, `${what}: min ${c.yMin}`);
        assert.ok(c.yMax > dataMax && c.yMax <= dataMax * 1.5, `${what}: max ${c.yMax}`);
      } else {
        assert.ok(c.yMin >= 0 && c.yMin < dataMin, `${what}: min ${c.yMin}`);
        assert.ok(c.yMax > dataMax && c.yMax <= dataMax * 1.25, `${what}: max ${c.yMax}`);
      }
    }

    // The user's step: 30 s; the roll-up API agrees again, and the URL keeps it.
    await p.click('#toolbar button[data-value="step-30"]');
    await p.waitForFunction(() => window.spiderDashboard.rendered('honest.lines')?.stepMs === 30000);
    assert.match(new URL(p.url()).hash, /step=30s/);
    const d30 = await chartData(p, 'honest.lines');
    const r = await p.evaluate(() => window.spiderDashboard.rendered('honest.lines'));
    const q30 = await get(spider.url, `/api/v1/rollup?match=honest.lines&step=30s&since=${r.since}&until=${r.until}`);
    const s30 = q30.json.groups[0].steps;
    assert.deepEqual(drawn(d30.p50), s30.map((x) => [x[0], x[cols.indexOf('p50')]]));
    assert.deepEqual(drawn(d30.p99), s30.filter((x) => x[1] >= 100).map((x) => [x[0], x[cols.indexOf('p99')]]));
  } finally {
    await p.close();
  }
});

test('several panels share the time axis; a hostile name is shown as text', async () => {
  await post(spider.url, { [HOSTILE]: samples(2, 3, 10) });
  await page.waitForSelector('#series-table tbody tr[data-series="shop.db"]');
  const row = await page.waitForFunction((n) => [...document.querySelectorAll('#series-table tbody tr')]
    .find((tr) => tr.dataset.series === n), HOSTILE);
  await row.asElement().click();
  await page.waitForFunction(() => document.querySelectorAll('.panel').length === 2);
  await waitPoints(page, HOSTILE, 30);
  const titles = await page.$$eval('.panel .panel-name', (els) => els.map((e) => e.textContent));
  assert.deepEqual(titles, ['shop.db', HOSTILE]);
  assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0, 'no element made from the name');
  const hashParams = () => new URLSearchParams(new URL(page.url()).hash.slice(1));
  assert.deepEqual(hashParams().getAll('s'), ['shop.db', HOSTILE]);
  // Same axis for both panels; zooming one zooms the other.
  const axes = await page.evaluate((n) => ['shop.db', n].map((s) => {
    const o = window.spiderDashboard.chart(s).getOption();
    return [o.xAxis[0].min, o.xAxis[0].max];
  }), HOSTILE);
  assert.deepEqual(axes[0], axes[1]);
  await page.evaluate(() => window.spiderDashboard.chart('shop.db').dispatchAction({ type: 'dataZoom', start: 50, end: 100 }));
  await page.waitForFunction((n) => window.spiderDashboard.chart(n).getOption().dataZoom[0].start === 50, HOSTILE);
  await page.evaluate(() => window.spiderDashboard.chart('shop.db').dispatchAction({ type: 'dataZoom', start: 0, end: 100 }));
  await page.click(`.panel:nth-child(2) .panel-close`);
  await page.waitForFunction(() => document.querySelectorAll('.panel').length === 1);
  assert.deepEqual(hashParams().getAll('s'), ['shop.db']);
});

// The lines of a roll-up panel as its chart holds them: id -> [[t, v], ...].
function rollupLines(p, match) {
  return p.evaluate((m) => {
    const chart = window.spiderDashboard.rollupChart(m);
    if (!chart) return null;
    return Object.fromEntries(chart.getOption().series.map((s) => [s.id, Array.from(s.data)]));
  }, match);
}
const rollupPanel = (p, match) => p.evaluateHandle((m) =>
  [...document.querySelectorAll('.panel.rollup')].find((el) => el.dataset.match === m), match);
// The list is rebuilt every second: rows are looked up and acted on at once.
const onGroupRow = (p, name, what) => p.evaluate(([n, w]) => {
  const tr = [...document.querySelectorAll('#series-table tbody tr.group')].find((r) => r.dataset.group === n);
  if (w === 'fold') tr.querySelector('button.fold').click();
  else if (w === 'focus') tr.focus();
  return tr.getAttribute('aria-expanded');
}, [name, what]);
const childKeys = (p, name) => p.evaluate((n) =>
  [...document.querySelectorAll('#series-table tbody tr.child')].filter((tr) => tr.dataset.parent === n)
    .map((tr) => tr.dataset.series), name);
const COLS = { start: 0, count: 1, p50: 6, p99: 8 };
// Waits for the list to be in some state; a timeout says what it shows.
async function waitList(p, fn, arg) {
  try {
    await p.waitForFunction(fn, arg, { timeout: 15000 });
  } catch (e) {
    const seen = await p.evaluate(() => ({
      rows: [...document.querySelectorAll('#series-table tbody tr')].map((tr) => tr.dataset.series ?? `group ${tr.dataset.group}`),
      selector: document.querySelector('#selector').value,
      error: document.querySelector('#selector-error').textContent,
      hash: location.hash,
    }));
    throw new Error(`${e.message}; the list shows ${JSON.stringify(seen)}`);
  }
}
// A roll-up line as drawn: a percentile only where its step has enough
// samples (p50: 2, p99: 100), else NaN (a break).
const MIN_SAMPLES = { [COLS.p50]: 2, [COLS.p99]: 100 };
const col = (rows, c) => rows.map((r) => [r[0], r[COLS.count] < (MIN_SAMPLES[c] ?? 0) ? NaN : r[c]]);

test('the selector box filters the list through the server; its errors are text', async () => {
  const keys = ['api.lat{status="200",zone="eu"}', 'api.lat{status="500",zone="eu"}', 'api.lat{status="200",zone="us"}'];
  const batch = Object.fromEntries(keys.map((k, i) => [k, samples(2, 4, 10, i + 1)]));
  assert.equal((await post(spider.url, batch)).json.accepted, 120);
  // Grouped by name: one row for api.lat, its three series folded under it.
  await page.waitForFunction(() => [...document.querySelectorAll('#series-table tr.group')].some((tr) => tr.dataset.group === 'api.lat'));
  assert.equal(await onGroupRow(page, 'api.lat'), 'false');
  assert.deepEqual(await childKeys(page, 'api.lat'), []);
  await onGroupRow(page, 'api.lat', 'fold');
  await page.waitForFunction(() => document.querySelectorAll('#series-table tr.child').length === 3);
  assert.deepEqual((await childKeys(page, 'api.lat')).sort(), keys.slice().sort());
  const chips = await page.evaluate(() => [...document.querySelectorAll('#series-table tr.child')]
    .map((tr) => [...tr.querySelectorAll('.label')].map((l) => l.textContent).join(' ')));
  assert.deepEqual(chips.sort(), ['status=200 zone=eu', 'status=200 zone=us', 'status=500 zone=eu']);

  // A selector keeps only what the server says it matches.
  await page.fill('#selector', 'api.lat{status=~"5.."}');
  await waitList(page, () => {
    const rows = [...document.querySelectorAll('#series-table tbody tr')];
    return rows.length === 2 && rows[1].dataset.series === 'api.lat{status="500",zone="eu"}';
  });
  assert.match(new URL(page.url()).hash, /sel=api\.lat/);
  assert.equal(await page.textContent('#selector-error'), '');
  // A bad one: the server's 400 is shown next to the box, nothing is thrown.
  await page.fill('#selector', 'api.lat{status=~"("}');
  await page.waitForFunction(() => /invalid regular expression/.test(document.querySelector('#selector-error').textContent));
  assert.equal(await page.getAttribute('#selector', 'aria-invalid'), 'true');
  await page.fill('#selector', 'shop.db');
  await waitList(page, () => {
    const rows = [...document.querySelectorAll('#series-table tbody tr')];
    return rows.length === 1 && rows[0].dataset.series === 'shop.db' && !document.querySelector('#selector-error').textContent;
  });
  await page.fill('#selector', '');
  await page.waitForFunction(() => document.querySelectorAll('#series-table tr.child').length === 3);

  // Keyboard: arrows fold and unfold, Enter opens the merged roll-up panel.
  await onGroupRow(page, 'api.lat', 'focus');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => document.querySelectorAll('#series-table tr.child').length === 0);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelectorAll('#series-table tr.child').length === 3);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.group), 'api.lat', 'the focus stays on the row');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.spiderDashboard.rolledUp('api.lat') !== null);
  assert.deepEqual(await page.evaluate(() => window.spiderDashboard.view().rollups), [{ match: 'api.lat', by: '' }]);
});

test('a roll-up panel merges the series as the API does; split, it has one line per label value', async () => {
  // Merged: the p50/p99 lines are the rollup's merged rows for the panel's range.
  const panelData = async () => (await rollupPanel(page, 'api.lat')).evaluate((el) => ({ ...el.dataset }));
  await page.waitForFunction(() => window.spiderDashboard.rolledUp('api.lat')?.groups[0]?.summary[1] === 120);
  // Its y axis has human units on its labels too.
  assert.deepEqual(await page.evaluate(() => {
    const f = window.spiderDashboard.rollupChart('api.lat').getOption().yAxis[0].axisLabel.formatter;
    return [0.25, 8, 2500].map((v) => f(v));
  }), ['250 µs', '8 ms', '2.5 s']);
  let d = await panelData();
  const range = `since=${d.since}&until=${d.until}&step=${d.step / 1000}s`;
  let q = await get(spider.url, `/api/v1/rollup?match=api.lat&${range}`);
  assert.equal(q.status, 200);
  let lines = await rollupLines(page, 'api.lat');
  assert.deepEqual(Object.keys(lines), ['p50', 'p99']);
  assert.deepEqual(pairs(lines.p50), col(q.json.groups[0].steps, COLS.p50));
  assert.deepEqual(pairs(lines.p99), col(q.json.groups[0].steps, COLS.p99));
  assert.equal(q.json.groups[0].steps.length, 4);
  const s = q.json.groups[0].summary;
  assert.deepEqual([d.count, d.p50, d.p99, d.max].map(Number), [s[COLS.count], s[COLS.p50], s[COLS.p99], s[5]]);
  const stats = await (await rollupPanel(page, 'api.lat')).evaluate((el) => el.querySelector('.panel-stats').textContent);
  assert.match(stats, /^3 series · 120 samples · .* · p50 .* · p99 .* · max /);

  // Split by status: one line per value, and the legend names them (as text).
  await (await rollupPanel(page, 'api.lat')).evaluate((el) => {
    const sel = el.querySelector('select.rollup-by');
    sel.value = 'status';
    sel.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction(() => window.spiderDashboard.rolledUp('api.lat')?.by === 'status');
  assert.match(new URL(page.url()).hash, /r=status%2Fapi\.lat/);
  d = await panelData();
  q = await get(spider.url, `/api/v1/rollup?match=api.lat&by=status&since=${d.since}&until=${d.until}&step=${d.step / 1000}s`);
  lines = await rollupLines(page, 'api.lat');
  assert.deepEqual(Object.keys(lines), ['g0', 'g1']);
  assert.deepEqual(q.json.groups.map((g) => g.labels.status), ['200', '500']);
  q.json.groups.forEach((g, i) => assert.deepEqual(pairs(lines[`g${i}`]), col(g.steps, COLS.p99), `line of status ${g.labels.status}`));
  const legend = await (await rollupPanel(page, 'api.lat')).evaluate((el) => [...el.querySelectorAll('.legend-value')].map((e) => e.textContent));
  assert.deepEqual(legend, ['200', '500']);

  // More values than lines: 7 of them and "others", merged by the server.
  const many = {};
  for (let i = 0; i < 11; i++) many[`many.vals{k="v${String(i).padStart(2, '0')}"}`] = samples(2, 2, 5 + i, 1 + i);
  await post(spider.url, many);
  await page.fill('#selector', 'many.vals');
  await page.press('#selector', 'Enter');
  await page.waitForFunction(() => window.spiderDashboard.rolledUp('many.vals') !== null);
  await (await rollupPanel(page, 'many.vals')).evaluate((el) => {
    const sel = el.querySelector('select.rollup-by');
    sel.value = 'k';
    sel.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction(() => window.spiderDashboard.rolledUp('many.vals')?.others?.steps);
  const r = await page.evaluate(() => {
    const x = window.spiderDashboard.rolledUp('many.vals');
    return { values: x.groups.map((g) => g.value), others: x.others, since: x.since, until: x.until, step: x.stepMs };
  });
  // The values with the most samples get the lines.
  assert.deepEqual(r.values, ['v10', 'v09', 'v08', 'v07', 'v06', 'v05', 'v04']);
  assert.equal(r.others.values, 4);
  lines = await rollupLines(page, 'many.vals');
  assert.equal(Object.keys(lines).length, 8);
  const oq = await get(spider.url, `/api/v1/rollup?match=${encodeURIComponent(r.others.match)}&since=${r.since}&until=${r.until}&step=${r.step / 1000}s`);
  assert.equal(oq.status, 200);
  assert.equal(oq.json.groups[0].summary[COLS.count], (5 + 6 + 7 + 8) * 2, 'others: v00 to v03');
  assert.deepEqual(pairs(lines.others), col(oq.json.groups[0].steps, COLS.p99));
  await page.fill('#selector', '');
});

test('hostile label values are text in the list, the legend and the tooltips', async () => {
  const LONG = 'L'.repeat(150);
  const values = [HOSTILE, 'a "quoted" \\ back\\slash', LONG];
  const esc = (v) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const batch = Object.fromEntries(values.map((v, i) => [`hostile.lab{v="${esc(v)}"}`, samples(2, 3, 5, i + 1)]));
  const ans = await post(spider.url, batch);
  assert.equal(ans.json.accepted, 45, ans.body);
  await page.waitForFunction(() => [...document.querySelectorAll('#series-table tr.group')].some((tr) => tr.dataset.group === 'hostile.lab'));
  await onGroupRow(page, 'hostile.lab', 'fold');
  await page.waitForFunction(() => [...document.querySelectorAll('#series-table tr.child')].filter((tr) => tr.dataset.parent === 'hostile.lab').length === 3);
  const shown = await page.evaluate(() => [...document.querySelectorAll('#series-table tr.child')]
    .filter((tr) => tr.dataset.parent === 'hostile.lab').map((tr) => tr.querySelector('.label-value').textContent));
  assert.deepEqual(shown.sort(), values.slice().sort());
  // Its roll-up split by v: the legend holds the values as text, the chart none.
  await page.fill('#selector', 'hostile.lab{v=~".+"}');
  await page.press('#selector', 'Enter');
  const match = 'hostile.lab{v=~".+"}';
  await page.waitForFunction((m) => window.spiderDashboard.rolledUp(m) !== null, match);
  await (await rollupPanel(page, match)).evaluate((el) => {
    const sel = el.querySelector('select.rollup-by');
    sel.value = 'v';
    sel.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction((m) => window.spiderDashboard.rolledUp(m)?.lines.length === 3, match);
  const legend = await (await rollupPanel(page, match)).evaluate((el) => [...el.querySelectorAll('.legend-value')].map((e) => e.textContent));
  assert.deepEqual(legend.slice().sort(), values.slice().sort());
  const title = await (await rollupPanel(page, match)).evaluate((el) => el.querySelector('.panel-name').textContent);
  assert.equal(title, match);
  const opt = await page.evaluate((m) => JSON.stringify(window.spiderDashboard.rollupChart(m).getOption()), match);
  for (const v of ['<img', 'quoted', LONG]) assert.ok(!opt.includes(v), `no label value reaches ECharts: ${v}`);
  // A tooltip names a line by its number in the legend, with numbers only
  // (of p50: 5 samples a step are too few for a p99 to be drawn).
  await (await rollupPanel(page, match)).evaluate((el) => {
    const sel = el.querySelector('select.rollup-stat');
    sel.value = 'p50';
    sel.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction((m) => window.spiderDashboard.rolledUp(m)?.statKey === 'p50', match);
  const chartBox = await (await rollupPanel(page, match)).evaluate((el) => {
    el.scrollIntoView({ block: 'center' });
    const r = el.querySelector('.panel-chart').getBoundingClientRect();
    return { x: r.x, y: r.y };
  });
  const lines = await rollupLines(page, match);
  const [px, py] = await page.evaluate(([m, pt]) => window.spiderDashboard.rollupChart(m).convertToPixel({ seriesId: 'g0' }, pt),
    [match, lines.g0.slice(0, 2)]);
  await page.mouse.move(chartBox.x + px + 3, chartBox.y + py);
  await page.mouse.move(chartBox.x + px, chartBox.y + py);
  const tip = await page.waitForFunction((m) => {
    const panel = [...document.querySelectorAll('.panel.rollup')].find((el) => el.dataset.match === m);
    return [...panel.querySelectorAll('.panel-chart div')].map((e) => e.textContent).find((t) => /line 1 p50: /.test(t));
  }, match);
  const text = await tip.jsonValue();
  for (const v of values) assert.ok(!text.includes(v), 'no label value in the tooltip');
  assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0, 'no element made from a label value');
  await page.fill('#selector', '');
  // Closing the roll-up panels leaves the live one.
  for (const m of [match, 'many.vals', 'api.lat']) await (await rollupPanel(page, m)).evaluate((el) => el.querySelector('.panel-close').click());
  await page.waitForFunction(() => document.querySelectorAll('.panel.rollup').length === 0);
  assert.deepEqual(await page.evaluate(() => window.spiderDashboard.view().rollups), []);
});

test('after a server restart on the same port the page reconnects and shows new data', async () => {
  const port = spider.port;
  await spider.stop();
  await page.waitForFunction(() => document.querySelector('#connection').dataset.state === 'down');
  // What is shown is marked stale: greyed list and panels, and a note saying so.
  const look = () => page.evaluate(() => ({
    list: document.querySelector('#list').classList.contains('stale'),
    panels: document.querySelector('#panels-area').classList.contains('stale'),
    opacity: Number(getComputedStyle(document.querySelector('#panels-area')).opacity),
    note: document.querySelector('#stale-note').hidden ? '' : document.querySelector('#stale-note').textContent,
  }));
  const down = await look();
  assert.deepEqual([down.list, down.panels], [true, true]);
  assert.ok(down.opacity < 1);
  assert.match(down.note, /^disconnected: the figures shown are from \d\d:\d\d:\d\d/);
  assert.match(await page.textContent('#connection'), /reconnecting|connecting/);
  spider = await startSpider(['--raw-per-second', '100', '--listen', `127.0.0.1:${port}`]);
  await page.waitForFunction(() => document.querySelector('#connection').dataset.state === 'live', null, { timeout: 20000 });
  await page.waitForFunction(() => !document.querySelector('#list').classList.contains('stale'));
  const up = await look();
  assert.deepEqual([up.list, up.panels, up.opacity, up.note], [false, false, 1, '']);
  // The old server's data is gone with it; the new server's appears.
  const fresh = samples(1, 2, 15, 5);
  await post(spider.url, { 'shop.db': fresh });
  await waitPoints(page, 'shop.db', fresh.length, 15000);
  const data = await chartData(page, 'shop.db');
  assert.deepEqual(pairs(data.points).sort(byTime), fresh.slice().sort(byTime));
});

test('a snapshot larger than --max-update arrives over several updates and is drawn whole', async () => {
  const s = await startSpider(['--raw-per-second', '100', '--max-update', '64KiB']);
  const p = await watch(await browser.newPage());
  try {
    const pts = samples(2, 90, 100);
    assert.equal((await post(s.url, { 'big.snapshot': pts })).json.accepted, pts.length);
    const pieces = [];
    await p.exposeFunction('reportDetail', (more) => pieces.push(more));
    await p.addInitScript(() => {
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          this.addEventListener('message', (e) => {
            const m = JSON.parse(e.data);
            if (m.type === 'detail') window.reportDetail(m.more);
          });
        }
      };
    });
    await p.goto(`${s.url}/#range=5m&s=big.snapshot`);
    await waitPoints(p, 'big.snapshot', pts.length, 20000);
    assert.ok(pieces.length >= 2 && pieces[0] === true, `the snapshot came in pieces: ${pieces}`);
    const data = await chartData(p, 'big.snapshot');
    assert.deepEqual(pairs(data.points).sort(byTime), pts.slice().sort(byTime));
    await p.waitForFunction(() => !window.spiderDashboard.state.detail.get('big.snapshot').loading);
  } finally {
    await p.close();
    await s.stop();
  }
});

// WCAG contrast ratio of two computed CSS colours ("rgb(r, g, b)").
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
}

test('the list: its window, – for no data, names on one line and numbers whole at 1400 and 800 px; pause, pressed buttons and the empty state', async () => {
  const s = await startSpider(['--raw-per-second', '100']);
  const ctxs = [];
  try {
    // The empty state's curl box is whole at both widths.
    for (const width of [1400, 800]) {
      const ctx = await browser.newContext({ viewport: { width, height: 900 } });
      ctxs.push(ctx);
      const p = await watch(await ctx.newPage());
      await p.goto(`${s.url}/`);
      await p.waitForFunction(() => document.querySelector('#connection')?.dataset.state === 'live');
      const curl = await p.$eval('#curl', (el) => {
        const r = el.getBoundingClientRect();
        return { sw: el.scrollWidth, cw: el.clientWidth, right: r.right, vw: window.innerWidth };
      });
      assert.ok(curl.sw <= curl.cw && curl.right <= curl.vw, `curl box whole at ${width}: ${JSON.stringify(curl)}`);
    }
    const long = 'checkout.payment.authorize.card.visa.eu-west-1.primary';
    const now = Math.floor(Date.now() / 1000) * 1000;
    await post(s.url, {
      [long]: Array.from({ length: 8020 }, (_, i) => [now - 2000 + (i % 1000), 1 + (i % 97) * 0.37]),
      'idle.series': [[now - 60000, 5]],
      [`${long}.labelled{region="eu-west-1",zone="b"}`]: [[now - 1000, 3]],
    });
    for (const [width, scheme] of [[1400, 'light'], [800, 'dark']]) {
      const ctx = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
      ctxs.push(ctx);
      const p = await watch(await ctx.newPage());
      await p.goto(`${s.url}/#s=${encodeURIComponent(long)}`);
      await p.waitForFunction((n) => window.spiderDashboard.rendered(n)?.points?.length > 0, long);
      await p.waitForFunction(() => document.querySelectorAll('#series-table tbody tr').length >= 3);
      assert.match(await p.textContent('#list-window'), /^figures of the last 10 s/);
      // An idle series (nothing in the last 10 s) shows – for its figures.
      const idle = await p.$$eval('#series-table tbody tr[data-series="idle.series"] td', (tds) => tds.map((td) => td.textContent));
      assert.deepEqual(idle.slice(3), ['–', '–', '–']);
      // Names on one line (cut with …, the whole name as the title), numbers whole and in view.
      const layout = await p.evaluate((n) => {
        const list = document.querySelector('#list').getBoundingClientRect();
        const rows = [...document.querySelectorAll('#series-table tbody tr')];
        const row = rows.find((tr) => tr.dataset.series === n);
        return {
          nameLines: rows.map((tr) => tr.querySelector('.series-name')).filter(Boolean).map((el) => el.getClientRects().length),
          nameHeights: rows.map((tr) => tr.querySelector('.series-name')).filter(Boolean).map((el) => el.getBoundingClientRect().height),
          title: row.querySelector('.series-name').title,
          numbers: [...row.querySelectorAll('td.num')].map((td) => ({
            text: td.textContent, cut: td.scrollWidth > td.clientWidth, out: td.getBoundingClientRect().right > list.right + 0.5,
          })),
          listScrolls: document.querySelector('#list').scrollWidth > document.querySelector('#list').clientWidth,
          widths: [document.querySelector('#list').clientWidth, document.querySelector('#series-table').offsetWidth, [...row.children].map((td) => td.offsetWidth)],
        };
      }, long);
      if (process.env.SPIDER_SCREENS) await p.screenshot({ path: path.join(process.env.SPIDER_SCREENS, `list-${width}-${scheme}.png`) });
      const what = `${width} px ${scheme}`;
      assert.ok(layout.nameLines.every((n) => n === 1), what);
      const lineHeight = Math.min(...layout.nameHeights);
      assert.ok(layout.nameHeights.every((h) => h < 1.5 * lineHeight), `${what}: names on one line ${layout.nameHeights}`);
      assert.equal(layout.title, long);
      assert.equal(layout.numbers[1].text, '8020', what);
      assert.ok(layout.numbers.every((x) => !x.cut && !x.out), `${what}: ${JSON.stringify(layout.numbers)} ${JSON.stringify(layout.widths)}`);
      assert.equal(layout.listScrolls, false, `${what}: the list fits`);
      // The chart fills its panel after the list took its width (the empty
      // state it replaced was wider).
      await p.waitForFunction((n) => {
        const el = document.querySelector('.panel .panel-chart');
        return Math.abs(window.spiderDashboard.chart(n).getWidth() - el.clientWidth) <= 1;
      }, long, { timeout: 5000 });
      // Pressed buttons read well in either theme; pause is amber when paused.
      const pressed = await p.$eval('#toolbar button[aria-pressed="true"]', (b) => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]);
      assert.ok(contrast(...pressed) >= 4.5, `${what}: pressed contrast ${contrast(...pressed)}`);
      await p.click('#pause');
      const paused = await p.$eval('#pause', (b) => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]);
      assert.equal(paused[1], scheme === 'dark' ? 'rgb(242, 193, 78)' : 'rgb(201, 138, 18)', `${what}: pause highlighted`);
      assert.ok(contrast(...paused) >= 4.5, `${what}: paused contrast`);
    }
  } finally {
    for (const c of ctxs) await c.close();
    await s.stop();
  }
});

test('no console error, page error, dialog or CSP violation on the way', async () => {
  await sleep(200);
  assert.deepEqual(problems, []);
});
