// The dashboard as served: embedded files with strict headers, gzip and
// ETag revalidation; --web-dir for development; and in headless Chromium:
// it loads without console errors or CSP violations, connects, lists posted
// series live, and shows a hostile series name as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { startSpider, post, sleep } from './helpers.mjs';

let spider;
before(async () => {
  spider = await startSpider();
});
after(async () => {
  await spider.stop();
});

// Raw GET (fetch would decompress and hide Content-Encoding).
function rawGet(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('the embedded dashboard: strict headers, gzip, ETag revalidation', async () => {
  const plain = await rawGet(spider.port, '/');
  assert.equal(plain.status, 200);
  assert.match(plain.headers['content-type'], /^text\/html/);
  assert.match(plain.body.toString(), /<title>Spider<\/title>/);
  const csp = plain.headers['content-security-policy'];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(plain.headers['x-content-type-options'], 'nosniff');
  assert.ok(plain.headers.etag, 'an ETag');
  const gz = await rawGet(spider.port, '/', { 'accept-encoding': 'gzip, deflate' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(gunzipSync(gz.body), plain.body);
  const again = await rawGet(spider.port, '/', { 'if-none-match': plain.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  for (const inm of [`"other", ${plain.headers.etag}`, `W/${plain.headers.etag}`, '*'])
    assert.equal((await rawGet(spider.port, '/', { 'if-none-match': inm })).status, 304, inm);
  assert.equal((await rawGet(spider.port, '/', { 'if-none-match': '"other"' })).status, 200);
  for (const [ae, gzipped] of [['gzip;q=0', false], ['gzip; q=0.0, deflate', false], ['br, gzip;q=0.5', true], ['*', true], ['identity', false]]) {
    const r = await rawGet(spider.port, '/', { 'accept-encoding': ae });
    assert.equal(r.headers['content-encoding'] === 'gzip', gzipped, ae);
  }
  const js = await rawGet(spider.port, '/app.js');
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /^text\/javascript/);
  // ECharts (npm) is embedded too, gzipped (it is ~1.1 MB raw).
  const charts = await rawGet(spider.port, '/vendor/echarts.js', { 'accept-encoding': 'gzip' });
  assert.equal(charts.status, 200);
  assert.match(charts.headers['content-type'], /^text\/javascript/);
  assert.equal(charts.headers['content-encoding'], 'gzip');
  assert.match(gunzipSync(charts.body).toString('latin1', 0, 4096), /Apache Software Foundation/);
  const missing = await rawGet(spider.port, '/no-such-file.js');
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).path, '/no-such-file.js');
});

test('--web-dir serves a folder instead (development), and nothing outside it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'spider-web-'));
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>dev copy</title>');
  writeFileSync(path.join(dir, 'sub', 'x.css'), 'body{}');
  const s = await startSpider(['--web-dir', dir]);
  try {
    const page = await rawGet(s.port, '/');
    assert.match(page.body.toString(), /dev copy/);
    assert.ok(page.headers['content-security-policy']);
    const css = await rawGet(s.port, '/sub/x.css');
    assert.match(css.headers['content-type'], /^text\/css/);
    for (const p of ['/../etc/passwd', '/sub/../../etc/passwd', '/%2e%2e/etc/passwd'])
      assert.notEqual((await rawGet(s.port, p)).status, 200, p);
  } finally {
    await s.stop();
  }
});

test('in Chromium: loads clean, lists posted series live, shows a hostile name as text', async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      d.dismiss();
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`));
    });
    await page.goto(spider.url + '/');
    await page.waitForFunction(() => document.querySelector('#connection')?.dataset.state === 'live');
    const hostile = '<img src=x onerror=alert(1)>';
    const r = await post(spider.url, { 'web.checkout': [5, 7, 9], [hostile]: [1] });
    assert.equal(r.json.accepted, 4);
    await page.waitForFunction((name) => [...document.querySelectorAll('#series-table tbody tr')]
      .some((tr) => tr.dataset.series === name), hostile, { timeout: 5000 });
    const cells = await page.$$eval('#series-table tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    assert.ok(cells.includes(hostile), 'the hostile name is shown as text');
    assert.equal(await page.$$eval('#series-table img', (imgs) => imgs.length), 0, 'no element was created from it');
    // Filter by text.
    await page.fill('#filter', 'checkout');
    const filtered = await page.$$eval('#series-table tbody tr', (trs) => trs.map((tr) => tr.dataset.series));
    assert.deepEqual(filtered, ['web.checkout']);
    // The stats follow live: the count shows once the samples' second closed.
    await page.waitForFunction(() => {
      const tr = document.querySelector('#series-table tbody tr[data-series="web.checkout"]');
      return tr && tr.children[2].textContent === '3' && tr.children[5].textContent === '9';
    }, null, { timeout: 5000 });
    // The footer shows the server's figures: this page is one dashboard.
    await page.waitForFunction(() => /1 dashboard connected/.test(document.querySelector('#footer-stats').textContent));
    assert.match(await page.textContent('#footer-stats'), /ingest [0-9.]+ samples\/s .*push interval 1000 ms/);
    const shot = path.join(process.env.SPIDER_ARTIFACTS || tmpdir(), 'dashboard-series-list.png');
    await page.screenshot({ path: shot });
    await sleep(200);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
