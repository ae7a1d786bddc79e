// The data directory against the real binary: post, SIGTERM, restart gives
// the same counts, percentiles, seconds and raw points; a kill -9 under load
// loses at most what came after the last snapshot; a bad file is moved aside
// and Spider starts anyway; an unwritable directory is counted and logged once
// per interval while serving goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSpider, post, get, sleep, durations } from './helpers.mjs';

const tmp = () => mkdtempSync(join(tmpdir(), 'spider-snap-'));

// What a series looks like from outside, without what moves with the clock
// (rate_per_s divides by the time since the range began).
async function seriesView(url, name) {
  const r = await get(url, `/api/v1/series/${encodeURIComponent(name)}`);
  assert.equal(r.status, 200, r.body);
  const { rate_per_s: _rate, ...summary } = r.json.summary;
  return { summary, seconds: r.json.seconds, raw: r.json.raw };
}

async function metric(url, line) {
  const m = await get(url, '/metrics');
  const found = m.body.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('post, SIGTERM, restart: exact counts, percentiles, seconds and raw points', async () => {
  const dir = tmp();
  const args = ['--data-dir', dir, '--raw-per-second', '10'];
  let spider = await startSpider(args);
  const now = Date.now();
  const start = now - 90000 - (now % 1000);
  const names = ['snap.lognormal', 'snap{route="/a",zone="eu"}', 'GET /users/{id}'];
  const values = durations(6000, 11);
  const body = {};
  names.forEach((n, k) => {
    body[n] = values.map((v, i) => [start + (i % 90) * 1000 + ((i * 7) % 1000), v * (k + 1)]);
  });
  const r = await post(spider.url, body);
  assert.equal(r.json.accepted, 18000, r.body);
  await post(spider.url, { 'snap.now': [1, 2, 3] }); // the current second, still open
  const before = {};
  for (const n of [...names, 'snap.now']) before[n] = await seriesView(spider.url, n);
  const promBefore = (await get(spider.url, '/metrics')).body
    .split('\n')
    .filter((l) => l.startsWith('spider_series_latency'));
  assert.equal(await spider.stop(), 0);
  assert.match(spider.log(), /snapshot written to .*: 4 series, \d+ seconds, 18003 samples/);
  assert.deepEqual(readdirSync(dir), ['spider.snap']); // no temporary file left

  spider = await startSpider(args);
  try {
    const h = await get(spider.url, '/healthz');
    assert.equal(h.json.snapshot.data_dir, dir);
    assert.equal(h.json.snapshot.restored.file, true);
    assert.equal(h.json.snapshot.restored.series, 4);
    assert.equal(h.json.snapshot.restored.samples, 18003);
    assert.equal(h.json.snapshot.restored.error, null);
    for (const n of [...names, 'snap.now']) assert.deepEqual(await seriesView(spider.url, n), before[n], n);
    // The Prometheus histograms (totals since creation) came back too.
    const promAfter = (await get(spider.url, '/metrics')).body
      .split('\n')
      .filter((l) => l.startsWith('spider_series_latency'));
    assert.deepEqual(promAfter, promBefore);
    assert.equal(await metric(spider.url, 'spider_snapshot_restored{what="samples"}'), 18003);
    // And it takes new samples into restored series.
    const more = await post(spider.url, { 'snap.now': [4] });
    assert.equal(more.json.accepted, 1);
    assert.equal((await seriesView(spider.url, 'snap.now')).summary.count, 4);
  } finally {
    await spider.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const writer of ['loop', 'fork'])
test(`kill -9 under load: at most what came after the last snapshot is missing (${writer} writer)`, async () => {
  const dir = tmp();
  const args = ['--data-dir', dir, '--snapshot-interval', '1s', '--snapshot-writer', writer];
  let spider = await startSpider(args);
  const acked = []; // [ack wall time, samples] of every answered batch
  let stop = false;
  const loader = (async () => {
    while (!stop) {
      const r = await post(spider.url, { 'load.kill9': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }).catch(() => null);
      if (r && r.status === 200) acked.push([Date.now(), r.json.accepted]);
      await sleep(20);
    }
  })();
  await until('two interval snapshots', async () => (await metric(spider.url, 'spider_snapshot_writes_total{result="ok"}')) >= 2);
  await sleep(300);
  spider.proc.kill('SIGKILL');
  const killedAt = Date.now();
  stop = true;
  await loader;
  await new Promise((r) => (spider.proc.exitCode !== null || spider.proc.signalCode ? r() : spider.proc.once('exit', r)));

  spider = await startSpider(args);
  try {
    const h = await get(spider.url, '/healthz');
    const restored = h.json.snapshot.restored;
    assert.equal(restored.error, null, JSON.stringify(restored));
    const written = restored.written_ms;
    assert.ok(written > 0 && written <= killedAt);
    const total = acked.reduce((a, [, n]) => a + n, 0);
    const beforeSnapshot = acked.filter(([t]) => t < written).reduce((a, [, n]) => a + n, 0);
    const got = (await seriesView(spider.url, 'load.kill9')).summary.count;
    // Everything acknowledged before the snapshot was taken is there;
    // nothing that was never acknowledged is.
    assert.ok(got >= beforeSnapshot, `${got} restored, ${beforeSnapshot} acknowledged before the snapshot`);
    assert.ok(got <= total + 10, `${got} restored, ${total} acknowledged`);
    // The snapshot restored is a recent one: intervals kept being written.
    assert.ok(killedAt - written < 15000, `last snapshot ${killedAt - written} ms before the kill`);
    if (writer === 'loop') assert.ok(readdirSync(dir).includes('spider.snap'));
  } finally {
    await spider.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupted snapshot is moved aside with the reason, and Spider starts empty', async () => {
  const dir = tmp();
  let spider = await startSpider(['--data-dir', dir]);
  await post(spider.url, { 'bad.one': [1, 2], 'bad.two': [3] });
  await spider.stop();
  const good = readFileSync(join(dir, 'spider.snap'));
  const bad = Buffer.from(good);
  bad[bad.length - 10] ^= 0xff; // inside the end section
  writeFileSync(join(dir, 'spider.snap'), bad);

  spider = await startSpider(['--data-dir', dir]);
  try {
    const h = await get(spider.url, '/healthz');
    assert.match(h.json.snapshot.restored.error, /CRC mismatch at byte \d+/);
    // The series before the damage validated and are kept.
    assert.equal(h.json.snapshot.restored.series, 2);
    assert.match(spider.log(), /moved the snapshot aside to .*spider\.snap\.bad-\d+/);
    assert.ok(readdirSync(dir).some((f) => /^spider\.snap\.bad-\d+$/.test(f)));
    assert.equal(await metric(spider.url, 'spider_snapshot_restored{what="file_rejected"}'), 1);
    assert.equal((await post(spider.url, { 'bad.three': [1] })).status, 200);
  } finally {
    await spider.stop();
  }
  // Foreign bytes: nothing restored, the start goes on.
  writeFileSync(join(dir, 'spider.snap'), 'not a snapshot at all');
  spider = await startSpider(['--data-dir', dir]);
  try {
    const h = await get(spider.url, '/healthz');
    assert.match(h.json.snapshot.restored.error, /not a Spider snapshot/);
    assert.equal(h.json.series, 0);
  } finally {
    await spider.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const writer of ['loop', 'fork'])
test(`an unwritable data directory is counted and logged once per interval; serving goes on (${writer} writer)`, async () => {
  const dir = tmp();
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  // A directory below a regular file can be neither created nor written,
  // whoever runs the test (root ignores permission bits).
  const spider = await startSpider(['--data-dir', join(file, 'data'), '--snapshot-interval', '1s', '--snapshot-writer', writer]);
  try {
    assert.equal((await post(spider.url, { 'unwritable.x': [1] })).status, 200);
    const failed = await until('two failed writes', async () => {
      const n = await metric(spider.url, 'spider_snapshot_writes_total{result="error"}');
      return n >= 2 ? n : 0;
    });
    assert.equal(await metric(spider.url, 'spider_snapshot_writes_total{result="ok"}'), 0);
    assert.notEqual(await metric(spider.url, 'spider_snapshot_last_errno'), 0);
    const lines = spider.log().split('\n').filter((l) => /snapshot to .* failed/.test(l));
    assert.ok(lines.length >= 2 && lines.length <= failed + 1, `${lines.length} log lines for ${failed} failures`);
    assert.match(lines[0], /Not a directory/);
    assert.equal((await post(spider.url, { 'unwritable.x': [2] })).status, 200);
    assert.equal((await get(spider.url, '/healthz')).status, 200);
  } finally {
    // The synchronous write at the stop fails too; the exit is still clean.
    assert.equal(await spider.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without --data-dir nothing is written and /healthz says so', async () => {
  const spider = await startSpider();
  try {
    const h = await get(spider.url, '/healthz');
    assert.equal(h.json.snapshot, null);
  } finally {
    await spider.stop();
  }
});
