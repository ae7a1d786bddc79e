// StatsD input with clients nobody here wrote: hot-shots (npm) over UDP and
// over a Unix datagram socket (DogStatsD), and Debian's python3-statsd.
// Every test checks exact counts per series and percentiles within 1% of the
// exact ones of the samples it sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import StatsD from 'hot-shots';
import { BIN, startSpider, get, metric, waitFor, durations, assertSummaryMatches } from './helpers.mjs';

let spider;
let dir;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'spider-statsd-'));
  spider = await startSpider(['--statsd-unix', path.join(dir, 'dsd.sock')]);
  assert.ok(spider.statsdPort > 0, 'spider printed its StatsD port');
});
after(async () => {
  await spider.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function summary(name) {
  const r = await get(spider.url, `/api/v1/series/${encodeURIComponent(name)}`);
  assert.equal(r.status, 200, `${name}: ${r.body}`);
  return r.json.summary;
}

// Waits until the server has read `lines` more StatsD lines than at `from`.
async function linesArrived(from, lines) {
  await waitFor(async () => (await metric(spider.url, 'spider_statsd_lines_total')) >= from + lines, `${lines} StatsD lines`);
}

function send(client, fn) {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

test('hot-shots over UDP: timers, histograms and distributions with tags and sample rates; non-latencies counted as ignored', async () => {
  const from = await metric(spider.url, 'spider_statsd_lines_total');
  const ignoredBefore = await metric(spider.url, 'spider_statsd_ignored_total{type="counter"}');
  const client = new StatsD({ host: '127.0.0.1', port: spider.statsdPort, errorHandler: (e) => { throw e; } });
  const a = durations(1500, 3);
  const b = durations(800, 5);
  const c = durations(600, 9);
  // hot-shots samples on the client side with Math.random(); make it send
  // every value (still marked |@0.25) so that the test knows what was sent.
  const random = Math.random;
  Math.random = () => 0;
  try {
    for (const v of a) await send(client, (cb) => client.timing('checkout.db', v, 1, { route: '/pay' }, cb));
    for (const v of b) await send(client, (cb) => client.histogram('render', v, ['env:prod', 'canary'], cb));
    for (const v of c) await send(client, (cb) => client.distribution('dist.x', v, 0.25, { shard: '1' }, cb));
  } finally {
    Math.random = random;
  }
  await send(client, (cb) => client.increment('hits', 1, cb));
  await send(client, (cb) => client.gauge('queue', 5, cb));
  await send(client, (cb) => client.set('users', 'u1', cb));
  await new Promise((r) => client.close(r));
  await linesArrived(from, a.length + b.length + c.length + 3);

  assertSummaryMatches(assert, await summary('checkout.db{route="/pay"}'), a, 'timing');
  assertSummaryMatches(assert, await summary('render{canary="true",env="prod"}'), b, 'histogram');
  // @0.25: each value stands for 4 samples in count, sum and percentiles.
  assertSummaryMatches(assert, await summary('dist.x{shard="1"}'), c.flatMap((v) => [v, v, v, v]), 'distribution @0.25');
  assert.equal(await metric(spider.url, 'spider_statsd_ignored_total{type="counter"}'), ignoredBefore + 1);
  assert.ok((await metric(spider.url, 'spider_statsd_ignored_total{type="gauge"}')) >= 1);
  assert.ok((await metric(spider.url, 'spider_statsd_ignored_total{type="set"}')) >= 1);
  assert.equal(await metric(spider.url, 'spider_statsd_kernel_drops_total'), 0);
});

test('hot-shots buffered (many lines per datagram) over a Unix datagram socket', async () => {
  const from = await metric(spider.url, 'spider_statsd_lines_total');
  const datagramsFrom = await metric(spider.url, 'spider_statsd_datagrams_total');
  const client = new StatsD({
    protocol: 'uds',
    path: path.join(dir, 'dsd.sock'),
    maxBufferSize: 4000,
    bufferFlushInterval: 20,
    errorHandler: (e) => { throw e; },
  });
  const v = durations(3000, 21);
  for (let i = 0; i < v.length; i++) {
    client.timing('uds.op', v[i], { host: i % 2 ? 'a' : 'b' });
    if (i % 200 === 199) await new Promise((r) => setTimeout(r, 30)); // let buffers flush
  }
  await new Promise((r) => client.close(r));
  await linesArrived(from, v.length);
  assertSummaryMatches(assert, await summary('uds.op{host="a"}'), v.filter((_, i) => i % 2), 'uds host=a');
  assertSummaryMatches(assert, await summary('uds.op{host="b"}'), v.filter((_, i) => !(i % 2)), 'uds host=b');
  const datagrams = (await metric(spider.url, 'spider_statsd_datagrams_total')) - datagramsFrom;
  assert.ok(datagrams < v.length / 10, `lines were packed: ${datagrams} datagrams for ${v.length} lines`);
});

test('python3-statsd (Debian) over UDP, single lines and a pipeline', async () => {
  const from = await metric(spider.url, 'spider_statsd_lines_total');
  const v = durations(1000, 33);
  const script = `
import json, statsd, sys
values = json.load(sys.stdin)
c = statsd.StatsClient('127.0.0.1', ${spider.statsdPort})
for x in values[:500]:
    c.timing('py.op', x)
with c.pipeline() as pipe:
    for x in values[500:]:
        pipe.timing('py.op', x)
`;
  execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(v) });
  await linesArrived(from, v.length);
  // python-statsd writes timings with %0.6f: the values as sent are exact here.
  assertSummaryMatches(assert, await summary('py.op'), v, 'python statsd');
});

test('a malformed line is counted by reason and never affects the other lines of its datagram', async () => {
  const before = {
    value: await metric(spider.url, 'spider_samples_rejected_total{protocol="statsd",reason="bad_value"}'),
    rate: await metric(spider.url, 'spider_samples_rejected_total{protocol="statsd",reason="bad_rate"}'),
    type: await metric(spider.url, 'spider_samples_rejected_total{protocol="statsd",reason="bad_type"}'),
    labels: await metric(spider.url, 'spider_samples_rejected_total{protocol="statsd",reason="bad_labels"}'),
    negative: await metric(spider.url, 'spider_samples_rejected_total{protocol="statsd",reason="negative"}'),
  };
  const from = await metric(spider.url, 'spider_statsd_lines_total');
  const lines = [
    'mixed:1|ms', 'no value here', 'mixed:2|ms|@2', 'mixed:3|ms', 'mixed:4|xx',
    'mixed:5|ms|#a:1,a:2', 'mixed:-1|ms', 'mixed:6|ms\r', '', 'mixed:7:8|d|@1|T1700000000|c:abc',
  ];
  const sock = dgram.createSocket('udp4');
  await new Promise((r, j) => sock.send(lines.join('\n'), spider.statsdPort, '127.0.0.1', (e) => (e ? j(e) : r())));
  sock.close();
  await linesArrived(from, lines.length - 1); // the empty line is not a line
  assertSummaryMatches(assert, await summary('mixed'), [1, 3, 6, 7, 8], 'good lines of a mixed datagram');
  const d = async (reason) => (await metric(spider.url, `spider_samples_rejected_total{protocol="statsd",reason="${reason}"}`));
  assert.equal((await d('bad_value')) - before.value, 1);
  assert.equal((await d('bad_rate')) - before.rate, 1);
  assert.equal((await d('bad_type')) - before.type, 1);
  assert.equal((await d('bad_labels')) - before.labels, 1);
  assert.equal((await d('negative')) - before.negative, 1);
});

// Waits for spider's exit or its 'listening on http' line; returns {code, log}.
function runUntilListening(args) {
  return new Promise((resolve) => {
    const proc = spawn(BIN, ['--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr.on('data', (d) => {
      log += d;
      if (/listening on http:/.test(log)) {
        proc.kill('SIGTERM');
        resolve({ code: null, log });
      }
    });
    proc.on('exit', (code) => resolve({ code, log }));
  });
}

test('an explicit StatsD address that is taken is an error; the default one taken is a warning', async () => {
  const taken = await runUntilListening(['--statsd-listen', `127.0.0.1:${spider.statsdPort}`]);
  assert.equal(taken.code, 1, taken.log);
  assert.match(taken.log, /cannot listen for StatsD on udp 127\.0\.0\.1:\d+: Address already in use/);
  // Hold 8125 (if nobody else does already) and start with the default.
  const holder = dgram.createSocket('udp4');
  await new Promise((r) => {
    holder.once('error', r); // taken by someone else: just as good
    holder.bind(8125, '127.0.0.1', r);
  });
  try {
    const run = await runUntilListening([]);
    assert.equal(run.code, null, run.log);
    assert.match(run.log, /StatsD port 127\.0\.0\.1:8125 is taken .*running without it/);
  } finally {
    holder.close();
  }
});
