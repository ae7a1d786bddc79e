// Spider's /metrics against the real thing: Debian's promtool checks the
// exposition (hostile series names and label values included), and Debian's
// prometheus scrapes a running Spider on loopback; its histogram_quantile()
// over Spider's per-series histogram agrees with Spider's own p99 within the
// width of the le bucket that holds it (the error a classic histogram
// implies).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startSpider, get, post, sleep, durations } from './helpers.mjs';

const hostile = [
  'evil"} spider_up 0 # x', // (names cannot hold a newline: the name rule refuses it)
  'back\\slash\\',
  '<script>alert(1)</script>',
  'GET /users/{id}',
  'ünïcødé ✓',
];

let spider;
let lat;
before(async () => {
  spider = await startSpider();
  lat = durations(3000, 5);
  const batch = { lat };
  for (const [i, name] of hostile.entries()) batch[name] = [1 + i, 2 + i];
  batch['lbl{le="5",series="x\\"y\\\\z",zone="a\\"}b"}'] = [3, 30, 300];
  const r = await post(spider.url, JSON.stringify(batch));
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).rejected, 0, r.body);
});
after(async () => {
  await spider.stop();
});

test('promtool check metrics accepts the exposition, hostile names and labels included', async () => {
  const r = await get(spider.url, '/metrics');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const check = spawnSync('promtool', ['check', 'metrics'], { input: r.body, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  // every hostile name is a label value on its own lines, never a new line
  assert.ok(!/^spider_up 0/m.test(r.body), 'a name broke out of its label');
  assert.match(r.body, /spider_latency_seconds_count\{series="evil\\"} spider_up 0 # x"\} 2\n/);
  assert.match(r.body, /series="lbl",exported_le="5",exported_series="x\\"y\\\\z",zone="a\\"}b",le="\+Inf"\} 3\n/);
  // ?match= narrows it; a bad selector is a 400
  const only = await get(spider.url, `/metrics?match=${encodeURIComponent('lat')}`);
  assert.match(only.body, /series="lat"/);
  assert.ok(!only.body.includes('series="lbl"'));
  assert.equal((await get(spider.url, `/metrics?match=${encodeURIComponent('a{b=~"("}')}`)).status, 400);
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function promQuery(port, expr) {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const j = await r.json();
  assert.equal(j.status, 'success', JSON.stringify(j));
  return j.data.result;
}

test('Prometheus scrapes Spider; histogram_quantile agrees with Spider\'s p99 within the le bucket', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spider-prom-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: spider\n    static_configs:\n      - targets: ['127.0.0.1:${spider.port}']\n`,
  );
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr.on('data', (d) => (log += d));
  try {
    let count = [];
    for (let i = 0; i < 300 && !(count.length && Number(count[0].value[1]) === lat.length); i++) {
      await sleep(200);
      try {
        count = await promQuery(port, 'spider_latency_seconds_count{series="lat"}');
      } catch {
        count = []; // not up yet
      }
    }
    assert.ok(count.length, `prometheus never scraped the series: ${log.slice(-2000)}`);
    assert.equal(Number(count[0].value[1]), lat.length);
    // the hostile series arrived as they are
    const evil = await promQuery(port, 'spider_latency_seconds_count{series=~"evil.*"}');
    assert.equal(evil[0].metric.series, hostile[0]);
    const q = await promQuery(port, 'histogram_quantile(0.99, spider_latency_seconds_bucket{series="lat"})');
    const promP99 = Number(q[0].value[1]) * 1000; // seconds -> ms
    const own = (await get(spider.url, '/api/v1/series/lat')).json.summary.p99;
    // the le bucket (ms) that holds Spider's p99 bounds the disagreement
    const le = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
    const i = le.findIndex((b) => own <= b);
    const width = le[i] - (i > 0 ? le[i - 1] : 0);
    assert.ok(Math.abs(promP99 - own) <= width, `prometheus p99 ${promP99} ms, spider ${own} ms, bucket width ${width}`);
  } finally {
    prom.kill('SIGTERM');
    await new Promise((r) => prom.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
