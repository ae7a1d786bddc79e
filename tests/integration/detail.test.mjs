// The detail stream of GET /ws against the real binary: a subscribed
// client's copy of its series (built by applying every detail message as
// docs/protocol.md says) equals what the query API answers for the same
// seconds; subscription changes and reconnects get a fresh snapshot; dead
// peers are found by ping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startSpider, post, get, sleep } from './helpers.mjs';

// A client that keeps what the stream tells it: per series, per second.
function connect(port, opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, opts);
    const c = { ws, messages: [], series: new Map(), updates: 0 };
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      c.messages.push(m);
      if (m.type === 'update') c.updates++;
      if (m.type !== 'detail') return;
      if (m.reset || !c.series.has(m.series)) c.series.set(m.series, new Map());
      const held = c.series.get(m.series);
      m.seconds.forEach((row, i) => {
        assert.equal(m.raw[i][0], row[0]);
        assert.equal(m.hist[i][0], row[0]);
        held.set(row[0], { row, raw: m.raw[i][1], hist: m.hist[i][1] });
      });
    });
    ws.on('open', () => resolve(c));
    ws.on('error', reject);
  });
}

async function until(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// The client's copy of `name` compared with GET /api/v1/series/NAME:
// returns a description of the first difference, or '' when equal.
async function diffWithQuery(s, c, name) {
  const q = (await get(s.url, `/api/v1/series/${encodeURIComponent(name)}`)).json;
  const held = c.series.get(name) ?? new Map();
  if (q.seconds.length !== held.size) return `${held.size} seconds held, ${q.seconds.length} in the query`;
  for (const row of q.seconds) {
    const h = held.get(row[0]);
    if (!h) return `second ${row[0]} missing`;
    if (JSON.stringify(h.row) !== JSON.stringify(row)) return `second ${row[0]}: ${JSON.stringify(h.row)} vs ${JSON.stringify(row)}`;
    const histCount = h.hist.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0);
    if (histCount !== row[1]) return `second ${row[0]}: histogram counts ${histCount}, count ${row[1]}`;
  }
  const mine = [];
  for (const [start, h] of held) for (let i = 0; i < h.raw.length; i += 2) mine.push([start + h.raw[i], h.raw[i + 1]]);
  const key = (p) => `${p[0]}:${p[1]}`;
  const a = mine.map(key).sort(), b = q.raw.map(key).sort();
  if (JSON.stringify(a) !== JSON.stringify(b)) return `raw points differ: ${a.length} held, ${b.length} in the query`;
  return '';
}

test('detail stream: what a subscribed client holds equals the query API, late samples included', async () => {
  const s = await startSpider(['--push-interval', '200ms', '--raw-per-second', '5']);
  try {
    const now = Date.now();
    // History from before the client connected: must come in the snapshot.
    await post(s.url, { 'd.a': [[now - 60000, 1], [now - 59000, 2], [now - 30500, 3]], 'd.b': [[now - 45000, 9]] });
    const c = await connect(s.port);
    c.ws.send(JSON.stringify({ subscribe: ['d.a', 'd.b'], window_s: 600 }));
    await until(() => c.series.has('d.a') && c.series.has('d.b'), 4000, 'the snapshot');
    // Live samples over ~2 s, more than --raw-per-second in some seconds,
    // and late ones into seconds the client already has.
    for (let i = 0; i < 10; i++) {
      const t = Date.now();
      await post(s.url, {
        'd.a': Array.from({ length: 8 }, (_, k) => k * 1.5 + i),
        'd.b': [[t - 1000, i], [now - 59000, 100 + i]],
        'd.other': [1],
      });
      await sleep(200);
    }
    let diff = 'not compared';
    await until(async () => {
      diff = (await diffWithQuery(s, c, 'd.a')) || (await diffWithQuery(s, c, 'd.b'));
      return diff === '';
    }, 5000, 'the stream to match the query API').catch((e) => assert.fail(`${e.message}: ${diff}`));
    assert.ok(!c.series.has('d.other'), 'no detail of a series not subscribed');
    const details = c.messages.filter((m) => m.type === 'detail');
    assert.equal(details.filter((m) => m.reset).length, 2, 'one snapshot per series');
    // The late sample at now - 59 s re-sent its second: replaced, not added.
    const q = (await get(s.url, '/api/v1/series/d.b')).json;
    const old = q.seconds.find((r) => r[0] === Math.floor((now - 59000) / 1000) * 1000);
    assert.equal(old[1], 10);
    c.ws.close();
  } finally {
    await s.stop();
  }
});

test('a subscription change takes effect at the next update; a reconnect gets a fresh snapshot', async () => {
  const s = await startSpider(['--push-interval', '200ms']);
  try {
    await post(s.url, { 's.one': [1, 2, 3], 's.two': [4, 5] });
    const c = await connect(s.port);
    c.ws.send(JSON.stringify({ subscribe: ['s.one'] }));
    await until(() => c.series.has('s.one'), 3000, 's.one detail');
    assert.ok(!c.series.has('s.two'));
    c.ws.send(JSON.stringify({ subscribe: ['s.two'] }));
    const mark = c.messages.length;
    await until(() => c.series.has('s.two'), 3000, 's.two detail');
    // Within the first update after the change: the snapshot of s.two, and
    // no s.one detail from then on even as s.one changes.
    const after = c.messages.slice(mark);
    const firstUpdate = after.findIndex((m) => m.type === 'update');
    const nextUpdate = after.findIndex((m, i) => i > firstUpdate && m.type === 'update');
    const snap = after.findIndex((m) => m.type === 'detail' && m.series === 's.two');
    assert.ok(snap > firstUpdate && (nextUpdate < 0 || snap < nextUpdate), 'snapshot in the next update');
    assert.equal(after[snap].reset, true);
    await post(s.url, { 's.one': [7] });
    await sleep(600);
    assert.ok(!c.messages.slice(mark + snap).some((m) => m.type === 'detail' && m.series === 's.one'));
    c.ws.close();

    // A new connection knows nothing: it gets everything again.
    const d = await connect(s.port);
    d.ws.send(JSON.stringify({ subscribe: ['s.one', 's.two'] }));
    await until(() => d.series.has('s.one') && d.series.has('s.two'), 3000, 'snapshot after reconnect');
    assert.equal(await diffWithQuery(s, d, 's.one'), '');
    assert.equal(await diffWithQuery(s, d, 's.two'), '');
    assert.ok(d.messages.filter((m) => m.type === 'detail').every((m) => m.reset));
    d.ws.close();
  } finally {
    await s.stop();
  }
});

test('a snapshot longer than --max-update arrives over several updates, oldest first', async () => {
  const s = await startSpider(['--push-interval', '200ms', '--max-update', '64KiB']);
  try {
    // 400 seconds x 40 points: ~250 KB of detail, at least 4 updates.
    const now = Date.now();
    const pts = [];
    for (let sec = 0; sec < 400; sec++) for (let k = 0; k < 40; k++) pts.push([now - 400000 + sec * 1000 + k * 20, k + sec / 1000]);
    assert.equal((await post(s.url, { 'big.one': pts })).json.accepted, pts.length);
    const c = await connect(s.port);
    c.ws.send(JSON.stringify({ subscribe: ['big.one'], window_s: 900 }));
    let diff = 'not compared';
    await until(async () => (diff = await diffWithQuery(s, c, 'big.one')) === '', 10000, 'the whole history').catch((e) =>
      assert.fail(`${e.message}: ${diff}`));
    const parts = c.messages.filter((m) => m.type === 'detail');
    assert.ok(parts.length >= 4, `${parts.length} parts`);
    assert.ok(parts.slice(0, -1).every((m) => m.more) && !parts.at(-1).more);
    for (let i = 1; i < parts.length; i++) assert.ok(parts[i].seconds[0][0] > parts[i - 1].seconds.at(-1)[0], 'oldest first, no overlap');
    const metrics = (await get(s.url, '/metrics')).body;
    assert.match(metrics, /spider_ws_detail_encoded_total \d+/);
    c.ws.close();
  } finally {
    await s.stop();
  }
});

test('ping: a peer that does not answer pings is dropped; one that does stays', async () => {
  const s = await startSpider(['--ping-interval', '1s', '--push-interval', '10s']);
  try {
    const alive = await connect(s.port);
    const dead = await connect(s.port, { autoPong: false });
    let pinged = false;
    dead.ws.on('ping', () => (pinged = true));
    const closedAt = new Promise((resolve) => dead.ws.on('close', () => resolve(Date.now())));
    const t0 = Date.now();
    const at = await Promise.race([closedAt, sleep(8000).then(() => 0)]);
    assert.ok(pinged, 'the server pinged');
    assert.ok(at > 0, 'the silent peer was dropped');
    assert.ok(at - t0 >= 1500, `dropped after ${at - t0} ms, not before it was pinged`);
    assert.equal(alive.ws.readyState, WebSocket.OPEN, 'a peer that answers stays');
    const metrics = (await get(s.url, '/metrics')).body;
    assert.match(metrics, /spider_ws_ping_timeouts_total 1\n/, 'the drop is counted');
    alive.ws.close();
  } finally {
    await s.stop();
  }
});

// Splits the bytes of server frames (unmasked, RFC 6455) into text messages.
function parseFrames(bytes) {
  const messages = [];
  let i = 0;
  while (i + 2 <= bytes.length) {
    const opcode = bytes[i] & 0x0f;
    let len = bytes[i + 1] & 0x7f;
    let at = i + 2;
    if (len === 126) {
      len = bytes.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    if (at + len > bytes.length) break; // cut off when the reader stopped
    if (opcode === 1) messages.push(JSON.parse(bytes.subarray(at, at + len).toString()));
    i = at + len;
  }
  return messages;
}

test('a slow reader (2 KB/s, 4 KiB receive buffer) gets fewer updates, and still every second', async () => {
  const reader = process.env.SPIDER_SLOW_READER;
  assert.ok(reader, 'SPIDER_SLOW_READER must name tests/support/slow_reader (ctest sets it)');
  const s = await startSpider(['--push-interval', '200ms', '--raw-per-second', '10']);
  try {
    const { spawn } = await import('node:child_process');
    const seconds = 14;
    const child = spawn(reader, [String(s.port), '4096', '2048', String(seconds), JSON.stringify({ subscribe: ['slow.a'], window_s: 600 })]);
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    // 7 s of samples, 100 a second of many values (a histogram row each),
    // some late into the previous second: ~3 KB of detail a second, more
    // than the reader takes.
    for (let i = 0; i < 35; i++) {
      const t = Date.now();
      await post(s.url, { 'slow.a': [...Array.from({ length: 19 }, (_, k) => 1 + k * 7.3 + i), [t - 900, 5 + i]] });
      await sleep(200);
    }
    assert.equal(await exited, 0, 'the slow reader was not cut off');
    const messages = parseFrames(Buffer.concat(chunks));
    const updates = messages.filter((m) => m.type === 'update');
    const skipped = updates.filter((m, i) => i > 0 && m.seq > updates[i - 1].seq + 1).length;
    // Fewer updates than ticks: it skipped the ones it could not take.
    assert.ok(updates.length < seconds * 5 * 0.8, `${updates.length} updates in ${seconds} s at 200 ms`);
    assert.ok(updates.length >= 5, `${updates.length} updates`);
    assert.ok(skipped > 0, 'some ticks skipped (seq jumps)');
    // Apply the detail as the protocol says, then compare with the server.
    const c = { series: new Map() };
    for (const m of messages.filter((x) => x.type === 'detail')) {
      if (m.reset || !c.series.has(m.series)) c.series.set(m.series, new Map());
      m.seconds.forEach((row, i) => c.series.get(m.series).set(row[0], { row, raw: m.raw[i][1], hist: m.hist[i][1] }));
    }
    assert.equal(await diffWithQuery(s, c, 'slow.a'), '');
    const metrics = (await get(s.url, '/metrics')).body;
    assert.match(metrics, /spider_ws_stall_closes_total 0/);
  } finally {
    await s.stop();
  }
});
