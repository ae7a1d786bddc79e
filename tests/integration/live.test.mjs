// GET /ws against the real binary: hello and summary updates, at most one
// per push interval; Origin, path and client-limit checks; bad client
// messages closed with the right codes; stalled clients cut off while live
// ones keep their pace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { startSpider, post, get, sleep } from './helpers.mjs';

// Opens a client; resolves {ws, messages} once open (messages collects JSON).
function connect(port, opts = {}, path = '/ws') {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, opts);
    const messages = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    ws.on('open', () => resolve({ ws, messages }));
    ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
  });
}

function closed(ws) {
  return new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function until(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('clients are served at staggered moments of the interval, each once per interval', async () => {
  // 1 s in 10 groups 100 ms apart; two clients in a row land in neighbouring groups.
  const s = await startSpider(['--push-interval', '1s']);
  try {
    const a = await connect(s.port);
    const b = await connect(s.port);
    const updates = (c) => c.messages.filter((m) => m.type === 'update');
    await until(() => updates(a).length >= 4 && updates(b).length >= 4, 8000, 'four updates each');
    for (const c of [a, b]) {
      const u = updates(c);
      for (let i = 1; i < u.length; i++) {
        assert.equal(u[i].seq, u[i - 1].seq + 1, 'one update per interval, no tick missed');
        const gap = u[i].now_ms - u[i - 1].now_ms;
        assert.ok(gap >= 900 && gap <= 1100, `updates ${gap} ms apart`);
      }
    }
    // The same interval (seq) reaches the two clients at different moments.
    const at = (c, seq) => updates(c).find((m) => m.seq === seq)?.now_ms;
    const seq = updates(b)[1].seq;
    const apart = Math.abs(at(b, seq) - at(a, seq));
    assert.ok(apart >= 50 && apart <= 950, `the two groups' updates of seq ${seq} ${apart} ms apart`);
    a.ws.close();
    b.ws.close();
  } finally {
    await s.stop();
  }
});

test('hello, then summary updates with posted series, at most one per interval', async () => {
  const s = await startSpider(['--push-interval', '200ms']);
  try {
    const { ws, messages } = await connect(s.port);
    await until(() => messages.length >= 1, 3000, 'hello');
    assert.equal(messages[0].type, 'hello');
    assert.equal(messages[0].push_interval_ms, 200);
    assert.equal(messages[0].window_s, 1800);
    const r = await post(s.url, { 'live.checkout': [5, 10, 15, 20] });
    assert.equal(r.json.accepted, 4);
    const rowOf = (m) => m.summary?.rows.find((row) => row[0] === 'live.checkout');
    await until(() => messages.some((m) => rowOf(m)?.[2] === 4), 4000, 'a summary with the posted count');
    const update = messages.find((m) => rowOf(m)?.[2] === 4);
    assert.deepEqual(update.summary.columns, ['name', 'rate', 'count', 'p50', 'p99', 'max']);
    const row = rowOf(update);
    assert.equal(row[5], 20, 'max');
    assert.equal(update.server.clients, 1);
    assert.ok(messages.some((m) => m.server?.ingest_per_s > 0), 'the ingest rate shows the post');
    assert.ok(Math.abs(row[3] - 10) <= 0.1, `p50 ${row[3]}`);
    // Pace: count updates over 2 s.
    const before = messages.length;
    await sleep(2000);
    const got = messages.length - before;
    assert.ok(got >= 7 && got <= 11, `${got} updates in 2 s at 200 ms`);
    const seqs = messages.filter((m) => m.type === 'update').map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, 'a live client misses no tick');
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_ws_clients 1\n/);
    assert.match(m.body, /spider_ws_updates_sent_total [1-9]/);
    ws.close();
  } finally {
    await s.stop();
  }
});

test('Origin: same origin and --allow-origin pass, others get 403; wrong path 404; over --max-clients 503', async () => {
  const s = await startSpider(['--allow-origin', 'http://dash.example, http://other.example', '--max-clients', '3']);
  try {
    const same = await connect(s.port, { origin: `http://127.0.0.1:${s.port}` });
    const listed = await connect(s.port, { origin: 'http://other.example' });
    await assert.rejects(connect(s.port, { origin: 'http://evil.example' }), (e) => e.status === 403);
    await assert.rejects(connect(s.port, {}, '/elsewhere'), (e) => e.status === 404);
    const third = await connect(s.port);
    await assert.rejects(connect(s.port), (e) => e.status === 503);
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_ws_refused_total\{reason="origin"\} 1/);
    assert.match(m.body, /spider_ws_refused_total\{reason="path"\} 1/);
    assert.match(m.body, /spider_ws_refused_total\{reason="max_clients"\} 1/);
    for (const c of [same, listed, third]) c.ws.close();
  } finally {
    await s.stop();
  }
});

test('client messages: valid ones keep the connection; bad ones close with 1009, 1007, 1003', async () => {
  const s = await startSpider();
  try {
    const ok = await connect(s.port);
    ok.ws.send(JSON.stringify({ subscribe: ['a', 'b'], window_s: 300 }));
    ok.ws.send(JSON.stringify({ subscribe: '*' }));
    const cases = [
      ['x'.repeat(40 * 1024), 1009],
      ['{"subscribe":', 1007],
      ['{"subscribe":42}', 1003],
      ['{"colour":"red"}', 1003],
      [Buffer.from([1, 2, 3]), 1003],
    ];
    for (const [msg, code] of cases) {
      const c = await connect(s.port);
      const done = closed(c.ws);
      c.ws.send(msg, { binary: Buffer.isBuffer(msg) });
      const got = await done;
      assert.equal(got.code, code, `message ${String(msg).slice(0, 20)}: ${got.reason}`);
      assert.ok(got.reason.length > 0, 'a reason is given');
    }
    await sleep(300);
    assert.equal(ok.ws.readyState, WebSocket.OPEN, 'valid messages keep the connection');
    const m = await get(s.url, '/metrics');
    assert.match(m.body, /spider_ws_bad_messages_total 5\n/);
    ok.ws.close();
  } finally {
    await s.stop();
  }
});

// A client that completes the handshake and then never reads.
function stalledClient(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      sock.once('data', () => {
        sock.pause(); // from now on the kernel buffers fill up, then the server's
        resolve(sock);
      });
    });
    sock.on('error', () => {});
  });
}

test('stalled clients are cut off after --stall-timeout; live clients keep every tick; memory stays bounded', async () => {
  const s = await startSpider(['--push-interval', '250ms', '--stall-timeout', '2s']);
  try {
    // 1,500 series with long names: each update is ~150 KB, so a client that
    // does not read fills its socket buffers within a few ticks.
    const batch = {};
    for (let i = 0; i < 1500; i++) batch[`stall.test.series.with.a.long.name.${String(i).padStart(5, '0')}`] = [i % 50];
    assert.equal((await post(s.url, batch)).json.accepted, 1500);
    const live = await connect(s.port);
    const rss = () => Number(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
    await sleep(500);
    const base = rss();
    const stalled = await Promise.all(Array.from({ length: 30 }, () => stalledClient(s.port)));
    // A paused socket does not notice the reset; watch the server instead.
    const t0 = Date.now();
    let metrics = '';
    await until(async () => {
      metrics = (await get(s.url, '/metrics')).body;
      // Counted at the tick; the close itself follows on the next loop pass.
      return /spider_ws_stall_closes_total 30\n/.test(metrics) && /spider_ws_clients 1\n/.test(metrics);
    }, 8000, 'every stalled client closed');
    const took = Date.now() - t0;
    // Their buffers fill first (~0.5 s), then 2 s without progress.
    assert.ok(took <= 2000 + 2500, `stalled clients closed within stall timeout + 2.5 s (${took} ms)`);
    assert.match(metrics, /spider_ws_clients 1\n/);
    const seqs = live.messages.filter((x) => x.type === 'update').map((x) => x.seq);
    assert.ok(seqs.length >= 8, `${seqs.length} updates for the live client`);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, 'live client missed no tick');
    if (process.env.SPIDER_SANITIZED !== '1') {
      await sleep(300);
      const grown = rss() - base;
      assert.ok(grown < 16 * 1024, `RSS grew ${grown} KiB after 30 stalled clients came and went`);
    }
    live.ws.close();
    stalled.forEach((x) => x.destroy());
  } finally {
    await s.stop();
  }
});

// Why 32 KB/s and not 2 KB/s: a receiver reopens a closed TCP window only
// once half its receive buffer is free (silly-window avoidance), so the
// server sees a reader's progress in steps of ~64 KB with Node's default
// buffer. At 2 KB/s that is one step per 32 s, longer than a stall timeout.
// A 2 KB/s reader needs a small SO_RCVBUF, which Node cannot set: that case
// belongs to the C load tool (spider-load).
test('a slow reader (32 KB/s, less than the stream) gets fewer updates but is not cut off; a stalled one is', async () => {
  const s = await startSpider(['--push-interval', '250ms', '--stall-timeout', '3s']);
  try {
    // ~20 KB per update, 4 per second: 80 KB/s, more than the reader takes.
    const batch = {};
    for (let i = 0; i < 200; i++) batch[`slow.reader.series.number.${String(i).padStart(4, '0')}`] = [i];
    assert.equal((await post(s.url, batch)).json.accepted, 200);
    const slow = await stalledClient(s.port);
    let got = 0;
    const reader = setInterval(() => {
      let chunk;
      while (got < ((Date.now() - t0) / 1000) * 32768 && (chunk = slow.read(1024)))
        got += chunk.length;
    }, 100);
    const t0 = Date.now();
    const stalled = await stalledClient(s.port);
    await sleep(9000);
    clearInterval(reader);
    const m = (await get(s.url, '/metrics')).body;
    assert.match(m, /spider_ws_stall_closes_total 1\n/, 'only the client that never reads was cut off');
    assert.match(m, /spider_ws_clients 1\n/, 'the slow reader is still connected');
    assert.ok(got >= 150 * 1024, `the slow reader read ${got} bytes`);
    assert.match(m, /spider_ws_updates_skipped_total [1-9]/, 'the slow reader skipped ticks');
    slow.destroy();
    stalled.destroy();
  } finally {
    await s.stop();
  }
});
