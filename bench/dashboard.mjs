// The dashboard in headless Chromium, against a real spider.
//
// 1. One panel over 30 minutes at 100 raw points a second (180,000 points,
//    posted with explicit timestamps spread over the last 30 min, plus 100
//    live points a second while measuring): main-thread time per live update
//    (the dashboard's own render timing = performance.now() around its draw
//    of the panels, summed over the panels' tasks), long tasks (PerformanceObserver 'longtask', > 50 ms), and
//    the renderer's whole main-thread time per second (CDP TaskDuration,
//    which includes ECharts' progressive drawing over later frames).
// 2. Ten panels at once (ten series, each 30 min at 10 points a second plus
//    10 live points a second): each panel must still be drawn every second.
//
// Usage: node bench/dashboard.mjs path/to/spider [seconds per measurement]
import { chromium } from 'playwright-core';

const [bin, secondsArg = '20'] = process.argv.slice(2);
if (!bin) throw new Error('usage: node bench/dashboard.mjs path/to/spider [seconds]');
const seconds = Number(secondsArg);
process.env.SPIDER_BIN = bin;
const { startSpider, post, sleep } = await import('../tests/integration/helpers.mjs');

const RANGE_S = 1800;

// Posts `perSecond` points a second of each series over the last RANGE_S
// seconds (explicit [unix_ms, ms] pairs), in bodies well under --max-body.
async function backfill(url, names, perSecond) {
  const end = Math.floor(Date.now() / 1000) * 1000;
  const start = end - (RANGE_S - 2) * 1000; // keep clear of the window's edge
  const stepMs = 1000 / perSecond;
  for (const name of names) {
    for (let t0 = start; t0 < end; t0 += 300 * 1000) {
      const pts = [];
      for (let t = t0; t < Math.min(t0 + 300 * 1000, end); t += stepMs)
        pts.push([Math.floor(t), latency()]);
      const r = await post(url, { [name]: pts });
      if (r.status !== 200 || r.json.rejected) throw new Error(`backfill: ${r.status} ${r.body.slice(0, 200)}`);
    }
  }
}

// A plausible latency: log-normal around 8 ms, with a slow tail.
function latency() {
  const u = Math.random() || 1e-9;
  const v = Math.random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.round(8 * Math.exp(0.5 * z) * (Math.random() < 0.01 ? 10 : 1) * 1000) / 1000;
}

// Live traffic while measuring: `perSecond` points a second per series.
function live(url, names, perSecond) {
  const timer = setInterval(() => {
    const body = {};
    for (const n of names) body[n] = Array.from({ length: perSecond }, latency);
    post(url, body).catch(() => {});
  }, 1000);
  return () => clearInterval(timer);
}

const quantile = (sorted, q) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN;
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(1) : '–');

async function measure(browser, spider, names, expectPoints, label) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const hash = `#range=30m&mode=scatter&y=linear&${names.map((n) => `s=${encodeURIComponent(n)}`).join('&')}`;
  const loadStart = Date.now();
  await page.goto(`${spider.url}/${hash}`);
  // The snapshot: 30 min of history arrives over several updates (more: true).
  await page.waitForFunction(([ns, want]) => ns.every((n) => {
    const r = window.spiderDashboard.rendered(n);
    return r && r.points && r.points.length / 2 >= want && !window.spiderDashboard.state.detail.get(n).loading;
  }), [names, expectPoints], { timeout: 120000, polling: 200 });
  const snapshotS = (Date.now() - loadStart) / 1000;
  await sleep(3000); // let the first draws and garbage settle
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metric = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await metric();
  await page.evaluate(() => {
    window.longTasks = [];
    window.spiderDashboard.renderTimes.length = 0;
    window.spiderDashboard.sliceTimes.length = 0;
    window.drawLog = [];
    window.paintLag = [];
    const names = window.spiderDashboard.view().series;
    // When the chart has painted the whole draw (progressive rendering done).
    const chart0 = window.spiderDashboard.chart(names[0]);
    chart0.on('finished', () => {
      const r = window.spiderDashboard.rendered(names[0]);
      if (r && r !== window.paintedModel) {
        window.paintedModel = r;
        window.paintLag.push(performance.now() - window.drawnAt);
      }
    });
    // Every draw of every panel: when its chart was last given a model.
    window.drawTimer = setInterval(() => {
      for (const n of names) {
        const r = window.spiderDashboard.rendered(n);
        if (r && r !== window[`last:${n}`]) {
          window[`last:${n}`] = r;
          window.drawLog.push([n, performance.now()]);
          if (n === names[0]) window.drawnAt = performance.now() - 10; // polled every 20 ms
        }
      }
    }, 20);
  });
  await sleep(seconds * 1000);
  const after = await metric();
  const res = await page.evaluate(() => ({
    renders: [...window.spiderDashboard.renderTimes],
    slices: [...window.spiderDashboard.sliceTimes],
    paintLag: window.paintLag,
    longTasks: [...window.longTasks],
    drawLog: window.drawLog,
    points: window.spiderDashboard.view().series.map((n) => window.spiderDashboard.rendered(n).points.length / 2),
    heap: performance.memory ? performance.memory.usedJSHeapSize : NaN,
  }));
  await page.close();
  const renders = res.renders.sort((a, b) => a - b);
  // Per panel: the gaps between its draws.
  const gaps = [];
  const lastAt = new Map();
  for (const [n, t] of res.drawLog) {
    if (lastAt.has(n)) gaps.push(t - lastAt.get(n));
    lastAt.set(n, t);
  }
  gaps.sort((a, b) => a - b);
  const taskMsPerS = ((after.TaskDuration - before.TaskDuration) * 1000) / seconds;
  const scriptMsPerS = ((after.ScriptDuration - before.ScriptDuration) * 1000) / seconds;
  console.log(`${label}: ${names.length} panel(s), ${res.points.reduce((a, b) => a + b, 0)} points shown, ` +
    `snapshot drawn ${snapshotS.toFixed(1)} s after load`);
  console.log(`  draw per live update (ms, ${renders.length} updates): p50 ${fmt(quantile(renders, 0.5))} ` +
    `p90 ${fmt(quantile(renders, 0.9))} max ${fmt(renders[renders.length - 1])}`);
  const slices = res.slices.sort((a, b) => a - b);
  if (names.length > 1)
    console.log(`  one panel's draw (a task of its own, ms): p50 ${fmt(quantile(slices, 0.5))} ` +
      `p90 ${fmt(quantile(slices, 0.9))} max ${fmt(slices[slices.length - 1])}`);
  const lag = res.paintLag.sort((a, b) => a - b);
  if (names.length === 1) console.log(`  fully painted after a draw (ms, +-10): p50 ${fmt(quantile(lag, 0.5))} max ${fmt(lag[lag.length - 1])}`);
  console.log(`  long tasks: ${res.longTasks.length} in ${seconds} s, longest ${fmt(Math.max(0, ...res.longTasks))} ms`);
  console.log(`  renderer main thread: ${fmt(taskMsPerS)} ms/s busy (script ${fmt(scriptMsPerS)} ms/s); ` +
    `JS heap ${fmt(res.heap / 1048576)} MiB`);
  console.log(`  gap between draws of a panel (ms): p50 ${fmt(quantile(gaps, 0.5))} p99 ${fmt(quantile(gaps, 0.99))} ` +
    `max ${fmt(gaps[gaps.length - 1])}`);
  return { renders, gaps, taskMsPerS };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  console.log(`dashboard: ${bin}, ${seconds} s per measurement, ${new Date().toISOString()}`);
  {
    const spider = await startSpider(['--raw-per-second', '100']);
    try {
      const t = Date.now();
      await backfill(spider.url, ['bench.db'], 100);
      console.log(`posted 180,000 points in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      const stop = live(spider.url, ['bench.db'], 100);
      await measure(browser, spider, ['bench.db'], 175000, 'one panel, 30 min x 100 points/s');
      stop();
    } finally {
      await spider.stop();
    }
  }
  {
    const spider = await startSpider(['--raw-per-second', '100']);
    try {
      const names = Array.from({ length: 10 }, (_, i) => `bench.stage${i}`);
      await backfill(spider.url, names, 10);
      const stop = live(spider.url, names, 10);
      await measure(browser, spider, names, 17500, 'ten panels, 30 min x 10 points/s each');
      stop();
    } finally {
      await spider.stop();
    }
  }
} finally {
  await browser.close();
}
