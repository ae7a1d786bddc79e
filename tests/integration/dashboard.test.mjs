// The dashboard's series panels in headless Chromium, against the real
// server: a panel draws the posted points and the per-second p50/p99 of the
// detail stream (read from the chart's own data, not pixels), its range p99
// equals the query API's, range / pause / heatmap / URL state work, the page
// reconnects by itself to a restarted server, and a hostile series name is
// shown as text only. No console error, page error, dialog or CSP violation
// may happen on the way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSpider, post, get, sleep } from './helpers.mjs';
import { SeriesData } from '../../web/detail.js';
import { DEFAULT_SCHEME } from '../../web/hist.js';

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

// Every console error, page error, dialog and CSP violation is a problem.
async function watch(p) {
  p.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
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
    return {
      points: series('points'), p50: series('p50'), p99: series('p99'), heat: series('heat'),
      xMin: opt.xAxis[0].min, xMax: opt.xAxis[0].max, yType: opt.yAxis[0].type,
    };
  }, name);
}

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
  // The p50 and p99 lines are the server's per-second rows.
  const cols = q.json.seconds_columns;
  const rows = q.json.seconds;
  assert.equal(rows.length, 8);
  assert.deepEqual(pairs(data.p50), rows.map((r) => [r[0], r[cols.indexOf('p50')]]));
  assert.deepEqual(pairs(data.p99), rows.map((r) => [r[0], r[cols.indexOf('p99')]]));
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

test('after a server restart on the same port the page reconnects and shows new data', async () => {
  const port = spider.port;
  await spider.stop();
  await page.waitForFunction(() => document.querySelector('#connection').dataset.state === 'down');
  spider = await startSpider(['--raw-per-second', '100', '--listen', `127.0.0.1:${port}`]);
  await page.waitForFunction(() => document.querySelector('#connection').dataset.state === 'live', null, { timeout: 20000 });
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

test('no console error, page error, dialog or CSP violation on the way', async () => {
  await sleep(200);
  assert.deepEqual(problems, []);
});
