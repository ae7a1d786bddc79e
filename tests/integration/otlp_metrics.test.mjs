// OTLP/HTTP metrics input, sent by the OpenTelemetry JS SDK's own metric
// exporters (nobody here wrote them): @opentelemetry/sdk-metrics
// instruments read by a PeriodicExportingMetricReader, exported by
// exporter-metrics-otlp-proto (protobuf) and -otlp-http (OTLP/JSON) to the
// OTLP port (they send chunked bodies, which only it reads). Histogram data
// points become weighted samples of `name{service="...",<attributes>}`:
// counts are exact; percentiles within 1% for an exponential histogram of
// scale 8 (docs/protocol.md: the bucket error 0.135% plus the store's
// 0.78%), and within the bucket for explicit buckets. Hand-made OTLP/JSON
// bodies cover what an SDK does only across restarts (baselines, resets)
// and the refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startSpider, get, post, metric, exactQuantile } from './helpers.mjs';

const require = createRequire(import.meta.url);
const {
  MeterProvider,
  PeriodicExportingMetricReader,
  AggregationType,
} = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPMetricExporter: ProtoExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
const {
  OTLPMetricExporter: JsonExporter,
  AggregationTemporalityPreference,
} = require('@opentelemetry/exporter-metrics-otlp-http');

let spider;
before(async () => {
  spider = await startSpider();
});
after(async () => {
  await spider.stop();
});

async function summary(name) {
  const r = await get(spider.url, `/api/v1/series/${encodeURIComponent(name)}`);
  assert.equal(r.status, 200, `${name}: ${r.body}`);
  return r.json.summary;
}

// A provider whose reader exports only when flushed (the interval is long).
function meterProvider(service, exporter, views = []) {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3600000 });
  return new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [reader],
    views,
  });
}

// Deterministic values in [lo, hi).
function values(n, lo, hi, seed) {
  let x = seed;
  const out = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(Math.round((lo + ((hi - lo) * x) / 2147483648) * 1000) / 1000);
  }
  return out;
}

test('protobuf exporter, delta, exponential histogram: exact count, min, max; percentiles within 1%', async () => {
  const exporter = new ProtoExporter({
    url: `http://127.0.0.1:${spider.otlpPort}/v1/metrics`,
    temporalityPreference: AggregationTemporalityPreference.DELTA,
  });
  // 40-100 ms is 1.32 octaves: 400 buckets give scale 8 (256 a octave).
  const provider = meterProvider('checkout', exporter, [
    {
      instrumentName: 'http.server.duration',
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 400 } },
    },
  ]);
  const h = provider.getMeter('spider-test').createHistogram('http.server.duration', { unit: 'ms' });
  const sent = values(3000, 40, 100, 7);
  for (const v of sent) h.record(v, { 'http.route': '/pay', 'http.status_code': 200 });
  await provider.forceFlush();
  await provider.shutdown();

  const s = await summary('http.server.duration{http_route="/pay",http_status_code="200",service="checkout"}');
  const sorted = [...sent].sort((a, b) => a - b);
  assert.equal(s.count, sent.length);
  assert.equal(s.min, sorted[0]);
  assert.equal(s.max, sorted[sorted.length - 1]);
  for (const [key, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]]) {
    const exact = exactQuantile(sorted, q);
    assert.ok(Math.abs(s[key] - exact) <= 0.01 * exact, `${key} ${s[key]} vs exact ${exact}`);
  }
  const sum = sent.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(s.sum - sum) <= 0.01 * sum, `sum ${s.sum} vs ${sum}`);
  assert.equal(await metric(spider.url, 'spider_samples_accepted_total{protocol="otlp_metrics"}'), sent.length);
});

test('JSON exporter, cumulative (the default), explicit buckets: two exports add up exactly', async () => {
  const bounds = [10, 20, 50, 100, 200, 500]; // ms; the view's are in the unit, seconds
  const exporter = new JsonExporter({ url: `http://127.0.0.1:${spider.otlpPort}/v1/metrics` });
  const provider = meterProvider('search', exporter, [
    {
      instrumentName: 'query.latency',
      aggregation: {
        type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: bounds.map((b) => b / 1000) },
      },
    },
  ]);
  const meter = provider.getMeter('spider-test');
  const h = meter.createHistogram('query.latency', { unit: 's' });
  meter.createCounter('queries').add(3); // a sum: counted, not a latency
  const first = values(500, 1, 400, 3);
  for (const v of first) h.record(v / 1000, { index: 'users' }); // seconds
  await provider.forceFlush();
  const second = values(700, 30, 150, 5);
  for (const v of second) h.record(v / 1000, { index: 'users' });
  await provider.forceFlush();
  await provider.shutdown();

  const s = await summary('query.latency{index="users",service="search"}');
  assert.equal(s.count, first.length + second.length);
  // A quantile lies in the bucket of the exact one (the midpoint stands
  // for the bucket: docs/protocol.md).
  const sorted = [...first, ...second].sort((a, b) => a - b);
  for (const [key, q] of [['p50', 0.5], ['p90', 0.9]]) {
    const exact = exactQuantile(sorted, q);
    const i = bounds.findIndex((b) => exact <= b);
    const lo = i <= 0 ? 0 : bounds[i - 1];
    const hi = i < 0 ? Infinity : bounds[i];
    assert.ok(s[key] >= lo * 0.99 && s[key] <= hi * 1.01, `${key} ${s[key]} not in (${lo}, ${hi}] of exact ${exact}`);
  }
  assert.ok((await metric(spider.url, 'spider_otlp_metric_points_total{kind="sum"}')) >= 2);
  assert.ok((await metric(spider.url, 'spider_otlp_streams')) >= 1);
});

// An OTLP/JSON request with one histogram point.
function histogramRequest(name, point, { temporality = 2, unit = 'ms', service = 'svc' } = {}) {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeMetrics: [
          { metrics: [{ name, unit, histogram: { aggregationTemporality: temporality, dataPoints: [point] } }] },
        ],
      },
    ],
  });
}

const ns = (ms) => (BigInt(Math.round(ms)) * 1000000n).toString();

async function postMetrics(body, port = 'main') {
  const base = port === 'main' ? spider.url : `http://127.0.0.1:${spider.otlpPort}`;
  const r = await post(base, body, { 'Content-Type': 'application/json' }, '/v1/metrics');
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body);
}

test('cumulative: a stream older than Spider is a baseline, then differences, then a reset', async () => {
  const started = Date.now() - 3600000; // an hour before Spider started
  const bounds = [10, 100];
  const point = (counts, start = started) => ({
    startTimeUnixNano: ns(start),
    timeUnixNano: ns(Date.now()),
    count: String(counts.reduce((a, b) => a + b, 0)),
    bucketCounts: counts.map(String),
    explicitBounds: bounds,
  });
  const name = 'old.stream';
  assert.deepEqual(await postMetrics(histogramRequest(name, point([5, 5, 5]))), {});
  // Only a baseline: no series yet.
  assert.equal((await get(spider.url, `/api/v1/series/${encodeURIComponent(`${name}{service="svc"}`)}`)).status, 404);
  assert.ok((await metric(spider.url, 'spider_otlp_metric_points_total{kind="baseline"}')) >= 1);
  await postMetrics(histogramRequest(name, point([6, 9, 5])));
  let s = await summary(`${name}{service="svc"}`);
  assert.equal(s.count, 5); // 1 + 4 new
  assert.equal(s.min, 5); // the first bucket's midpoint (0, 10]
  assert.equal(s.max, 55); // the second's (10, 100]
  // A reset (a new start time): all its counts are new.
  await postMetrics(histogramRequest(name, point([2, 0, 1], Date.now() - 1000)));
  s = await summary(`${name}{service="svc"}`);
  assert.equal(s.count, 8);
  assert.equal(s.max, 100); // the open last bucket (100, +inf) at its lower edge
});

test('refused and ignored points: partial success, counted by reason and kind', async () => {
  const now = ns(Date.now());
  const bad = { timeUnixNano: now, count: '5', bucketCounts: ['1', '1'], explicitBounds: [10] };
  const before = await metric(spider.url, 'spider_samples_rejected_total{protocol="otlp_metrics",reason="bad_histogram"}');
  const answer = await postMetrics(histogramRequest('bad.sum', bad, { temporality: 1 }), 'otlp');
  assert.equal(answer.partialSuccess.rejectedDataPoints, '1');
  assert.match(answer.partialSuccess.errorMessage, /1 of 1 data points refused; the first: histogram point is inconsistent/);
  assert.equal(
    await metric(spider.url, 'spider_samples_rejected_total{protocol="otlp_metrics",reason="bad_histogram"}'),
    before + 5,
  );
  // No temporality: refused too.
  const ok = { timeUnixNano: now, count: '2', bucketCounts: ['1', '1'], explicitBounds: [10] };
  const a2 = await postMetrics(histogramRequest('no.temporality', ok, { temporality: 0 }));
  assert.equal(a2.partialSuccess.rejectedDataPoints, '1');
  // Bytes are not a duration: ignored, not refused.
  const ignoredBefore = await metric(spider.url, 'spider_otlp_metric_points_total{kind="not_duration"}');
  assert.deepEqual(await postMetrics(histogramRequest('payload.size', ok, { temporality: 1, unit: 'By' })), {});
  assert.equal(await metric(spider.url, 'spider_otlp_metric_points_total{kind="not_duration"}'), ignoredBefore + 1);
  assert.equal((await get(spider.url, `/api/v1/series/${encodeURIComponent('payload.size{service="svc"}')}`)).status, 404);
  // A body that is not OTLP at all: 400, nothing applied.
  const r = await post(spider.url, '{"resourceMetrics":7}', { 'Content-Type': 'application/json' }, '/v1/metrics');
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).error, /resourceMetrics: not an array/);
});
