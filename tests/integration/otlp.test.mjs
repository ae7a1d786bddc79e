// OTLP/HTTP trace input, with request bodies made by the OpenTelemetry JS
// SDK (nobody here wrote it): spans from @opentelemetry/sdk-trace-base,
// encoded by the serializers its OTLP exporters use (otlp-transformer's
// ProtobufTraceSerializer and JsonTraceSerializer), plain and gzip. Every
// span is one sample of `name{service="..."}`; counts are exact and
// percentiles within 1% of the exact ones of the durations the test gave.
//
// The SDK's own exporters (exporter-trace-otlp-proto, -otlp-http) send
// their bodies chunked, which the main port (libwebsockets 4.1.6) cannot
// read; they are tested against the OTLP port (--otlp-listen), which has
// its own HTTP/1.1 reader.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { startSpider, get, post, metric, durations, assertSummaryMatches, RawConn } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { ProtobufTraceSerializer, JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: HttpJsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

let spider;
before(async () => {
  spider = await startSpider(['--max-body', '1MiB']);
});
after(async () => {
  await spider.stop();
});

// Ends one span per duration (ms, with µs precision), a µs apart, ending
// agoMs before now; returns the durations as the server computes them from
// the nanosecond times: (end - start) / 1e6.
function endSpans(provider, name, ms, agoMs) {
  const tracer = provider.getTracer('spider-test');
  const nowNs = BigInt(Date.now() - agoMs) * 1000000n;
  const hr = (ns) => [Number(ns / 1000000000n), Number(ns % 1000000000n)];
  return ms.map((d, i) => {
    const endNs = nowNs + BigInt(i) * 1000n;
    const startNs = endNs - BigInt(Math.round(d * 1e6));
    tracer.startSpan(name, { startTime: hr(startNs) }).end(hr(endNs));
    return Number(endNs - startNs) / 1e6;
  });
}

// Ends one span per duration (ms, with µs precision) at distinct times in
// the last minute and posts them in requests of 512 spans, encoded by the
// SDK. Returns the durations as the server computes them: (end - start) / 1e6.
async function exportSpans(encoding, service, name, ms, gzip = false) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const got = endSpans(provider, name, ms, 30000);
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  assert.equal(spans.length, ms.length);
  const serializer = encoding === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  const type = encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  for (let i = 0; i < spans.length; i += 512) {
    let body = serializer.serializeRequest(spans.slice(i, i + 512));
    const headers = { 'Content-Type': type };
    if (gzip) {
      body = new Uint8Array(gzipSync(body));
      headers['Content-Encoding'] = 'gzip';
    }
    const r = await post(spider.url, body, headers, '/v1/traces');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers.get('content-type'), type);
    // every span kept: an empty ExportTraceServiceResponse ({} in JSON)
    assert.equal(r.body, encoding === 'json' ? '{}' : '');
  }
  await provider.shutdown();
  return got;
}

async function summary(name) {
  const r = await get(spider.url, `/api/v1/series/${encodeURIComponent(name)}`);
  assert.equal(r.status, 200, `${name}: ${r.body}`);
  return r.json.summary;
}

test('protobuf (the SDK\'s encoding): every span is a sample of name{service=...}', async () => {
  const sent = await exportSpans('protobuf', 'checkout', 'GET /pay/{id}', durations(2000, 7));
  assertSummaryMatches(assert, await summary('GET /pay/{id}{service="checkout"}'), sent, 'protobuf');
});

test('protobuf with gzip', async () => {
  const sent = await exportSpans('protobuf', 'billing', 'charge', durations(1500, 11), true);
  assertSummaryMatches(assert, await summary('charge{service="billing"}'), sent, 'protobuf+gzip');
});

test('OTLP/JSON (the SDK\'s encoding)', async () => {
  const sent = await exportSpans('json', 'search', 'query', durations(1200, 13));
  assertSummaryMatches(assert, await summary('query{service="search"}'), sent, 'json');
  assert.ok((await metric(spider.url, 'spider_otlp_requests_total{signal="traces"}')) >= 3);
});

// An OTLP/JSON request body by hand, for the refusals.
function jsonRequest(spans) {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hand' } }] },
      scopeSpans: [{ spans }],
    }],
  });
}

test('a span that ends before it starts is refused with partial_success; the others are kept', async () => {
  const end = BigInt(Date.now()) * 1000000n;
  const body = jsonRequest([
    { name: 'mixed', startTimeUnixNano: String(end - 5000000n), endTimeUnixNano: String(end) },
    { name: 'mixed', startTimeUnixNano: String(end + 1n), endTimeUnixNano: String(end) },
    { name: 'mixed', startTimeUnixNano: String(end - 7000000n), endTimeUnixNano: String(end) },
  ]);
  const r = await post(spider.url, body, { 'Content-Type': 'application/json' }, '/v1/traces');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.partialSuccess.rejectedSpans, '1');
  assert.match(r.json.partialSuccess.errorMessage, /span ends before it starts/);
  assert.equal((await summary('mixed{service="hand"}')).count, 2);
  assert.equal(await metric(spider.url, 'spider_samples_rejected_total{protocol="otlp",reason="end_before_start"}'), 1);
});

test('refusals: 415 for another type, 400 for an undecodable body (nothing applied), 413 for a gzip bomb', async () => {
  const plain = await post(spider.url, jsonRequest([]), { 'Content-Type': 'text/plain' }, '/v1/traces');
  assert.equal(plain.status, 415);
  const bad = await post(spider.url, '{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":1}]}]}]}',
    { 'Content-Type': 'application/json' }, '/v1/traces');
  assert.equal(bad.status, 400, bad.body);
  assert.equal(bad.json.code, 3);
  const garbage = await post(spider.url, new Uint8Array([0x0a, 0xff, 0xff]), { 'Content-Type': 'application/x-protobuf' }, '/v1/traces');
  assert.equal(garbage.status, 400);
  assert.equal(garbage.headers.get('content-type'), 'application/x-protobuf');
  // 64 MiB of zeros gzip to ~64 KiB: over the 1 MiB limit once inflated.
  const bomb = gzipSync(Buffer.alloc(64 << 20));
  assert.ok(bomb.length < 1 << 20);
  const big = await post(spider.url, bomb, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' }, '/v1/traces');
  assert.equal(big.status, 413, big.body);
  const notGzip = await post(spider.url, 'plain', { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' }, '/v1/traces');
  assert.equal(notGzip.status, 400);
  // Regression: a broken gzip stream was answered in JSON; an OTLP client
  // reads a 400 as a google.rpc.Status in its own encoding.
  assert.equal(notGzip.headers.get('content-type'), 'application/x-protobuf');
  const status = Buffer.from(notGzip.body, 'latin1');
  assert.deepEqual([...status.subarray(0, 3)], [0x08, 3, 0x12], 'Status {code: 3, message}');
  assert.match(status.subarray(4).toString(), /not a valid gzip stream/);
  const notGzipJson = await post(spider.url, 'plain', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, '/v1/traces');
  assert.equal(notGzipJson.status, 400);
  assert.equal(notGzipJson.json.code, 3);
  assert.match(notGzipJson.json.message, /not a valid gzip stream/);
  const br = await post(spider.url, 'x', { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'br' }, '/v1/traces');
  assert.equal(br.status, 415);
});

// Through a real exporter to the OTLP port: spans with the given durations,
// exported in batches of 512; returns the durations as the server computes them.
async function exportWith(exporter, service, name, ms) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 512, maxQueueSize: 100000 })],
  });
  const got = endSpans(provider, name, ms, 20000);
  await provider.forceFlush();
  await provider.shutdown();
  return got;
}

test('the SDK\'s protobuf exporter to the OTLP port (chunked bodies)', async () => {
  const url = `http://127.0.0.1:${spider.otlpPort}/v1/traces`;
  const sent = await exportWith(new ProtoExporter({ url }), 'cart', 'add item', durations(2500, 17));
  assertSummaryMatches(assert, await summary('add item{service="cart"}'), sent, 'exporter-trace-otlp-proto');
});

test('the SDK\'s protobuf exporter with gzip to the OTLP port', async () => {
  const url = `http://127.0.0.1:${spider.otlpPort}/v1/traces`;
  const sent = await exportWith(new ProtoExporter({ url, compression: 'gzip' }), 'cart', 'checkout', durations(1500, 19));
  assertSummaryMatches(assert, await summary('checkout{service="cart"}'), sent, 'exporter-trace-otlp-proto gzip');
});

test('the SDK\'s JSON exporter to the OTLP port', async () => {
  const url = `http://127.0.0.1:${spider.otlpPort}/v1/traces`;
  const sent = await exportWith(new HttpJsonExporter({ url }), 'auth', 'login', durations(1200, 23));
  assertSummaryMatches(assert, await summary('login{service="auth"}'), sent, 'exporter-trace-otlp-http');
});

test('the OTLP port: 404 elsewhere, 415, a chunked gzip bomb gets 413', async () => {
  const base = `http://127.0.0.1:${spider.otlpPort}`;
  const other = await fetch(`${base}/api/v1/series`);
  assert.equal(other.status, 404);
  const type = await fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(type.status, 415);
  // A stream body makes fetch send it chunked.
  const bomb = gzipSync(Buffer.alloc(64 << 20));
  const stream = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(bomb)); c.close(); } });
  const big = await fetch(`${base}/v1/traces`, {
    method: 'POST', duplex: 'half', body: stream,
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
  });
  assert.equal(big.status, 413, await big.text());
});

test('the OTLP port reads pipelined requests, chunked and not, in one write, and answers each in order', async () => {
  const end = BigInt(Date.now()) * 1000000n;
  const one = jsonRequest([{ name: 'piped', startTimeUnixNano: String(end - 2000000n), endTimeUnixNano: String(end) }]);
  const chunked = `${Buffer.byteLength(one).toString(16)};ext=1\r\n${one}\r\n0\r\nX-Trailer: t\r\n\r\n`;
  const conn = new RawConn(spider.otlpPort);
  await conn.ready();
  conn.write(
    `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}` +
    `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(one)}\r\n\r\n${one}` +
    'GET /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const a = await conn.response();
  const b = await conn.response();
  const c = await conn.response();
  assert.deepEqual([a.status, b.status, c.status], [200, 200, 405]);
  assert.equal(c.headers.allow, 'POST');
  assert.ok(await conn.closedWithin(5000), 'closed after the refusal');
  assert.equal((await summary('piped{service="hand"}')).count, 2);
});

// Regression: bytes read past a request were copied again after every
// answer, so a read of many small pipelined requests cost O(n) per request,
// O(n^2) in all. Every answer must come back, every span be applied, and
// no byte be kept twice (spider_otlp_pipelined_bytes_total counts each
// byte put aside for a later request: at most what was sent, where the
// quadratic copy counted about N/2 times as much). No timing involved.
test('2,000 tiny requests pipelined in one write: 2,000 answers, each byte kept once', async () => {
  const N = 2000;
  const end = BigInt(Date.now()) * 1000000n;
  const one = jsonRequest([{ name: 'piped2k', startTimeUnixNano: String(end - 1000000n), endTimeUnixNano: String(end) }]);
  const req = 'POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(one)}\r\n\r\n${one}`;
  const all = req.repeat(N);
  const kept0 = await metric(spider.url, 'spider_otlp_pipelined_bytes_total');
  const conn = new RawConn(spider.otlpPort);
  await conn.ready();
  conn.write(all);
  const statuses = new Map();
  for (let i = 0; i < N; i++) {
    const r = await conn.response();
    assert.ok(r, `answer ${i} of ${N} (the connection closed)`);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  assert.deepEqual([...statuses], [[200, N]]);
  conn.destroy();
  assert.equal((await summary('piped2k{service="hand"}')).count, N);
  const kept = (await metric(spider.url, 'spider_otlp_pipelined_bytes_total')) - kept0;
  assert.ok(kept > 0, 'some requests waited behind an answer');
  assert.ok(kept <= Buffer.byteLength(all), `${kept} bytes kept for ${Buffer.byteLength(all)} sent`);
});

// Regression: the 405 to HEAD carried its JSON body, which a client reads
// as the start of the next answer (RFC 9110 9.3.2: an answer to HEAD has none).
test('the OTLP port answers HEAD without a body', async () => {
  const conn = new RawConn(spider.otlpPort);
  await conn.ready();
  conn.write('HEAD /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.ok(await conn.closedWithin(5000), 'closed after the refusal');
  const got = conn.buf.toString('latin1');
  assert.match(got, /^HTTP\/1\.1 405 /);
  assert.match(got, /\r\nAllow: POST\r\n/);
  assert.equal(got.indexOf('\r\n\r\n') + 4, got.length, `nothing after the head: ${JSON.stringify(got)}`);
});

test('the OTLP port refuses what the HTTP reader refuses, with the status it names', async () => {
  for (const [req, status] of [
    ['POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
    ['POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000\r\n\r\n', 413],
    ['POST /v1/traces HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 421],
    ['POST /v1/traces HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n', 505],
    // regression: HTTP/1.0 without Host was 421; the main port's rule is 400
    ['POST /v1/traces HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 400],
  ]) {
    const conn = new RawConn(spider.otlpPort);
    await conn.ready();
    conn.write(req);
    const r = await conn.response();
    assert.equal(r?.status, status, req);
    assert.ok(JSON.parse(r.body).error, req);
    if (status === 421) assert.equal(JSON.parse(r.body).host, 'evil.example', 'the Host, as on the main port');
    assert.ok(await conn.closedWithin(5000), req);
  }
});

test('a client that floods pipelined requests and never reads is paused, then closed; the loop stays responsive', async () => {
  const s2 = await startSpider(['--stall-timeout', '2s']);
  try {
    const req = 'POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
    const big = req.repeat(20000); // ~2.4 MB of requests per write
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s2.proc.pid}/status`, 'utf8'))[1]);
    const rssBefore = rss();
    const closed = new Promise((resolve) => {
      const sock = net.connect(s2.otlpPort, '127.0.0.1', () => {
        sock.pause(); // never read an answer
        let writes = 0;
        const pump = () => { while (writes < 40 && sock.write(big)) writes++; };
        sock.on('drain', pump);
        pump();
      });
      sock.on('error', () => {});
      sock.on('close', () => resolve(Date.now()));
    });
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    const h = await get(s2.url, '/healthz');
    assert.equal(h.status, 200);
    assert.ok(Date.now() - t0 < 2000, 'the loop answers while the flood waits');
    const when = await Promise.race([closed, new Promise((r) => setTimeout(() => r(null), 15000))]);
    assert.ok(when, 'the stalled client was closed');
    // Reading paused while answers could not leave: nothing grew with the
    // flood. (Not under ASan: its quarantine keeps every freed buffer of the
    // ~50,000 requests answered, by design.)
    if (process.env.SPIDER_SANITIZED !== '1')
      assert.ok(rss() - rssBefore < 16 * 1024, `RSS grew ${rss() - rssBefore} KiB`);
  } finally {
    await s2.stop();
  }
});
