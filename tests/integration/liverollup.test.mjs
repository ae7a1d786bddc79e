// Live roll-ups on GET /ws against the real binary: a client that applies
// the messages as docs/protocol.md says ends up with exactly the rows
// GET /api/v1/rollup answers; clients with the same roll-up share its
// encoding; refusals are told once, counted, and never close the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startSpider, post, get, sleep, metric, waitFor } from './helpers.mjs';

function connect(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const c = { ws, messages: [], rollups: new Map(), closed: null };
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      c.messages.push(m);
      if (m.type === 'rollup' && m.rollup) apply(c, m);
    });
    ws.on('close', (code, reason) => (c.closed = { code, reason: reason.toString() }));
    ws.on('open', () => resolve(c));
    ws.on('error', reject);
  });
}

const keyOf = (r) => `${r.match}|${r.by.join(',')}|${r.step_ms}`;

// The client side of the protocol: a reset drops the roll-up's rows; every
// message replaces the rows of its [since_ms, until_ms) steps in every group.
function apply(c, m) {
  const r = m.rollup;
  const key = keyOf(r);
  if (m.reset || !c.rollups.has(key)) c.rollups.set(key, new Map());
  const groups = c.rollups.get(key);
  const first = Math.floor(r.since_ms / r.step_ms) * r.step_ms;
  for (const rows of groups.values())
    for (const t of [...rows.keys()]) if (t >= first && t < r.until_ms) rows.delete(t);
  for (const g of r.groups) {
    const gk = JSON.stringify(g.labels);
    if (!groups.has(gk)) groups.set(gk, new Map());
    for (const row of g.steps) groups.get(gk).set(row[0], row);
  }
}

const rollupMessages = (c, match) => c.messages.filter((m) => m.type === 'rollup' && (m.rollup?.match ?? m.match) === match);

// Waits for n more data messages of that roll-up than the client has now.
async function moreTicks(c, match, n) {
  const have = rollupMessages(c, match).length;
  await waitFor(() => rollupMessages(c, match).length >= have + n, `${n} more live roll-ups of ${match}`);
}

test('a client applying live roll-up messages holds exactly the rows the query API answers', async () => {
  const s = await startSpider(['--push-interval', '500ms']);
  try {
    const now = Date.now();
    const body = {};
    const add = (key, ts, ms) => (body[key] ??= []).push([ts, ms]);
    for (let i = 0; i < 300; i++) {
      add('http{service="a",status="200"}', now - 8000 + i * 20, 1 + (i % 37));
      add('http{service="b",status="500"}', now - 6000 + i * 15, 100 + (i % 11) * 9);
      add('http{service="a",status="500"}', now - 4000 + i * 10, 0.5 + i / 7);
      add('other{service="a"}', now - 3000 + i * 5, 999);
    }
    assert.equal((await post(s.url, body)).status, 200);
    const c = await connect(s.port);
    const byService = { match: 'http', by: 'service', step_s: 1 };
    const errors = { match: 'http{status="500"}' };
    c.ws.send(JSON.stringify({ subscribe: [], window_s: 60, rollups: [byService, errors] }));
    await waitFor(() => rollupMessages(c, 'http').some((m) => m.reset) && rollupMessages(c, errors.match).some((m) => m.reset), 'the snapshots');
    const snap = rollupMessages(c, 'http').find((m) => m.reset).rollup;
    assert.equal(snap.series, 3, 'other{} does not match');
    assert.deepEqual(snap.by, ['service']);
    assert.equal(snap.step_ms, 1000);

    // Samples now, and late ones into seconds the client already holds.
    for (let round = 0; round < 4; round++) {
      const t = Date.now();
      const more = {};
      for (let i = 0; i < 50; i++) {
        (more['http{service="a",status="200"}'] ??= []).push([t - (i % 3) * 300, 2 + i]);
        (more['http{service="c",status="500"}'] ??= []).push([t - 15000 - i * 10, 40 + i]);
      }
      assert.equal((await post(s.url, more)).status, 200);
      await moreTicks(c, 'http', 1);
    }
    // Quiet: two more ticks carry everything posted.
    await moreTicks(c, 'http', 2);
    await moreTicks(c, errors.match, 2);

    for (const [want, since] of [[byService, snap.since_ms], [errors, rollupMessages(c, errors.match).find((m) => m.reset).rollup.since_ms]]) {
      const q = await get(s.url, `/api/v1/rollup?match=${encodeURIComponent(want.match)}${want.by ? `&by=${want.by}` : ''}&step=${want.step_s ?? 1}&since=${since}`);
      assert.equal(q.status, 200, q.body);
      const live = [...c.rollups.values()].find((g) => g === c.rollups.get(`${want.match}|${want.by ?? ''}|${q.json.step_ms}`));
      assert.ok(live, `the client holds ${want.match} at step ${q.json.step_ms}`);
      const current = Math.floor(Date.now() / q.json.step_ms) * q.json.step_ms - q.json.step_ms;
      const groupsWithRows = q.json.groups.filter((g) => g.steps.length > 0);
      assert.equal(live.size >= groupsWithRows.length, true);
      let compared = 0;
      for (const g of q.json.groups) {
        const rows = live.get(JSON.stringify(g.labels)) ?? new Map();
        const closed = g.steps.filter((row) => row[0] < current);
        const liveClosed = [...rows.values()].filter((row) => row[0] < current);
        assert.equal(liveClosed.length, closed.length, `${want.match} ${JSON.stringify(g.labels)}: the same steps`);
        for (const row of closed) {
          assert.deepEqual(rows.get(row[0]), row, `${want.match} ${JSON.stringify(g.labels)} step ${row[0]}`);
          compared++;
        }
      }
      assert.ok(compared >= 5, `${compared} closed steps compared for ${want.match}`);
      if (want === byService) assert.ok(live.has(JSON.stringify({ service: 'c' })), 'a group born after the snapshot');
    }
    assert.equal(c.closed, null);
    c.ws.close();
  } finally {
    await s.stop();
  }
});

test('dashboards with the same live roll-up share one encoding per tick', async () => {
  const s = await startSpider(['--push-interval', '500ms']);
  try {
    const clients = [];
    for (let i = 0; i < 20; i++) clients.push(await connect(s.port));
    const sub = JSON.stringify({ subscribe: [], window_s: 30, rollups: [{ match: 'svc', step_s: 1 }] });
    for (const c of clients) c.ws.send(sub);
    await waitFor(() => clients.every((c) => rollupMessages(c, 'svc').length >= 2), 'every client past its snapshot');
    assert.equal(await metric(s.url, 'spider_ws_rollups'), 1, 'one shape for twenty dashboards');
    const e0 = await metric(s.url, 'spider_ws_rollup_encoded_total');
    const got0 = clients.map((c) => rollupMessages(c, 'svc').length);
    for (let i = 0; i < 6; i++) {
      await post(s.url, { svc: [[Date.now(), 3 + i]] });
      await sleep(250);
    }
    const e1 = await metric(s.url, 'spider_ws_rollup_encoded_total');
    const sent = clients.reduce((n, c, i) => n + rollupMessages(c, 'svc').length - got0[i], 0);
    assert.ok(sent >= 40, `${sent} roll-up messages reached the dashboards`);
    // Twenty clients over ten push groups: two share each encoding; a busy
    // one that skipped a tick costs one more at its own cursor.
    assert.ok((e1 - e0) * 2 <= sent + 10, `${e1 - e0} encodings for ${sent} messages`);
    for (const c of clients) c.ws.close();
    await waitFor(async () => (await metric(s.url, 'spider_ws_rollups')) === 0, 'the shape dropped with its last client');
  } finally {
    await s.stop();
  }
});

test('live roll-up refusals: told once and counted, a bad selector closes with 1003', async () => {
  const s = await startSpider(['--push-interval', '500ms', '--max-rollup-series', '2', '--max-live-rollups', '2']);
  try {
    await post(s.url, { 'm{i="1"}': [[Date.now(), 1]], 'm{i="2"}': [[Date.now(), 2]], 'm{i="3"}': [[Date.now(), 3]] });
    const c = await connect(s.port);
    c.ws.send(JSON.stringify({
      subscribe: [],
      rollups: [{ match: 'm{i!="3"}' }, { match: 'm' }, { match: 'm', by: 'i' }],
    }));
    await moreTicks(c, 'm{i!="3"}', 4);
    const errs = c.messages.filter((m) => m.type === 'rollup' && m.error);
    const tooMany = errs.filter((m) => m.param === 'match');
    const overShapes = errs.filter((m) => m.param === 'rollups');
    assert.equal(tooMany.length, 1, `told once: ${JSON.stringify(errs)}`);
    assert.match(tooMany[0].error, /more than 2 series/);
    assert.equal(tooMany[0].match, 'm');
    assert.equal(overShapes.length, 1);
    assert.deepEqual(overShapes[0].by, ['i']);
    assert.match(overShapes[0].error, /--max-live-rollups/);
    assert.equal(await metric(s.url, 'spider_ws_rollup_refused_total{reason="series_limit"}'), 1);
    assert.equal(await metric(s.url, 'spider_ws_rollup_refused_total{reason="rollup_limit"}'), 1);
    const ok = rollupMessages(c, 'm{i!="3"}').filter((m) => m.rollup);
    assert.equal(ok[0].rollup.series, 2, 'the roll-up within bounds keeps coming');
    assert.equal(c.closed, null);

    const bad = await connect(s.port);
    bad.ws.send(JSON.stringify({ subscribe: [], rollups: [{ match: 'm{i=~"("}' }] }));
    await waitFor(() => bad.closed, 'the close');
    assert.equal(bad.closed.code, 1003);
    assert.match(bad.closed.reason, /^rollups\[0\]\.match: /);
    const typo = await connect(s.port);
    typo.ws.send(JSON.stringify({ subscribe: [], rollups: [{ match: 'm', step: 10 }] }));
    await waitFor(() => typo.closed, 'the close');
    assert.equal(typo.closed.code, 1003);
    assert.match(typo.closed.reason, /rollups\[0\]: unknown key: step/);
    c.ws.close();
  } finally {
    await s.stop();
  }
});
