#!/usr/bin/env node
// otlp_metrics_fixtures.mjs - writes the OTLP metrics fixtures of
// tests/fixtures/otlp_metrics/.
//
// The request bytes come from the OpenTelemetry JS SDK, an encoder nobody
// here wrote: instruments of @opentelemetry/sdk-metrics (histograms with
// explicit and exponential aggregation, counters, gauges; delta and
// cumulative temporality; attributes of every scalar type) are collected by
// a MetricReader and turned into ExportMetricsServiceRequest bodies by
// @opentelemetry/otlp-transformer's ProtobufMetricsSerializer and
// JsonMetricsSerializer, exactly what the OTLP metric exporters send. For
// each fixture NAME it writes
//
//   NAME.pb      the protobuf body (application/x-protobuf)
//   NAME.json    the OTLP/JSON body (application/json)
//   NAME.expect  what the decoder must report, as JSON, from the SDK's own
//                collected data (not from either body):
//                {"gauge_points", "sum_points", "summary_points",
//                 "points": [{kind, service, instance, metric, unit,
//                 temporality, start_ns, time_ns, count, sum, min, max,
//                 counts, bounds, scale, offset, zero_count, negative_count,
//                 attrs: [[key, value text], ...]}]}
//                with every 64-bit integer as a decimal string, in the order
//                the request carries them.
//
// Times are fixed (the SDK's clock is not used), so the output is the same
// on every run:  node tools/otlp_metrics_fixtures.mjs [OUT_DIR]
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const {
  MeterProvider,
  MetricReader,
  AggregationTemporality,
  AggregationType,
  DataPointType,
} = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const {
  ProtobufMetricsSerializer,
  JsonMetricsSerializer,
} = require('@opentelemetry/otlp-transformer');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2] ?? join(root, 'tests/fixtures/otlp_metrics');

class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

// A provider with one reader of the given temporality.
function provider(attributes, temporality, views = []) {
  const reader = new Reader({ aggregationTemporalitySelector: () => temporality });
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes(attributes),
    readers: [reader],
    views,
  });
  return { meterProvider, reader };
}

// Fixed times: every point gets the same start and end (HrTime).
const START = [1700000000, 123456789];
const END = [1700000010, 987654321];
function pin(resourceMetrics) {
  for (const sm of resourceMetrics.scopeMetrics)
    for (const m of sm.metrics)
      for (const p of m.dataPoints) {
        p.startTime = START;
        p.endTime = END;
      }
  return resourceMetrics;
}

const nanos = (t) => (BigInt(t[0]) * 1000000000n + BigInt(t[1])).toString();

// What the decoder reports as an attribute's value text.
function text(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Number.isInteger(v)) return String(v);
  if (typeof v === 'number') return shortest(v);
  return null; // arrays and the like: left out
}

// The shortest %.{p}g that reads back: what the C side prints.
function shortest(v) {
  for (let p = 1; p <= 17; p++) {
    const s = cG(v, p);
    if (Number(s) === v) return s;
  }
  return cG(v, 17);
}

// C's %.{p}g for finite v.
function cG(v, p) {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toExponential(p - 1)))));
  let s;
  if (exp < -4 || exp >= p) {
    s = v.toExponential(p - 1);
    let [m, e] = s.split('e');
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    const sign = e[0] === '-' ? '-' : '+';
    e = e.replace(/^[+-]/, '');
    s = `${m}e${sign}${e.padStart(2, '0')}`;
  } else {
    s = v.toFixed(Math.max(0, p - 1 - exp));
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return s;
}

function expectOf(rm) {
  const out = { gauge_points: 0, sum_points: 0, summary_points: 0, points: [] };
  const attrs = rm.resource.attributes;
  const str = (v) => (typeof v === 'string' ? v : '');
  for (const sm of rm.scopeMetrics)
    for (const m of sm.metrics) {
      if (m.dataPointType === DataPointType.GAUGE) out.gauge_points += m.dataPoints.length;
      if (m.dataPointType === DataPointType.SUM) out.sum_points += m.dataPoints.length;
      if (
        m.dataPointType !== DataPointType.HISTOGRAM &&
        m.dataPointType !== DataPointType.EXPONENTIAL_HISTOGRAM
      )
        continue;
      const exp = m.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM;
      for (const p of m.dataPoints) {
        const v = p.value;
        out.points.push({
          kind: exp ? 'exponential' : 'explicit',
          service: str(attrs['service.name']),
          instance: str(attrs['service.instance.id']),
          metric: m.descriptor.name,
          unit: m.descriptor.unit,
          temporality: m.aggregationTemporality === AggregationTemporality.DELTA ? 1 : 2,
          start_ns: nanos(p.startTime),
          time_ns: nanos(p.endTime),
          count: String(v.count),
          sum: v.sum ?? null,
          min: v.min ?? null,
          max: v.max ?? null,
          counts: (exp ? v.positive.bucketCounts : v.buckets.counts).map(String),
          bounds: exp ? [] : v.buckets.boundaries,
          scale: exp ? v.scale : 0,
          offset: exp ? v.positive.offset : 0,
          zero_count: String(exp ? v.zeroCount : 0),
          negative_count: String(exp ? v.negative.bucketCounts.reduce((a, b) => a + b, 0) : 0),
          attrs: Object.entries(p.attributes)
            .map(([k, a]) => [k, text(a)])
            .filter(([, t]) => t !== null && t !== ''),
        });
      }
    }
  return out;
}

async function write(name, make) {
  const rm = pin(await make());
  const pb = ProtobufMetricsSerializer.serializeRequest(rm);
  const json = JsonMetricsSerializer.serializeRequest(rm);
  writeFileSync(join(outDir, `${name}.pb`), pb);
  writeFileSync(join(outDir, `${name}.json`), json);
  writeFileSync(join(outDir, `${name}.expect`), JSON.stringify(expectOf(rm)) + '\n');
}

async function collect(reader) {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length) throw errors[0];
  return resourceMetrics;
}

// Explicit buckets, delta: the SDK's default boundaries, attributes of
// every scalar type, service and instance.
async function explicitDelta() {
  const { meterProvider, reader } = provider(
    { 'service.name': 'checkout', 'service.instance.id': 'pod-7' },
    AggregationTemporality.DELTA,
  );
  const h = meterProvider.getMeter('spider-fixtures').createHistogram('http.server.duration', {
    unit: 'ms',
  });
  const values = [0.4, 3, 7.5, 12, 30, 61, 99, 240, 480, 700, 900, 2000, 4000, 7000, 9000, 12000];
  for (const v of values) h.record(v, { 'http.route': '/pay', 'http.status_code': 200 });
  h.record(5, { 'http.route': '/cart', ok: true, ratio: 0.1, neg: -3, big: 9007199254740993n > 0 });
  h.record(1.5, {});
  return collect(reader);
}

// Explicit buckets, cumulative, custom boundaries, unit seconds, and a
// counter and a gauge in the same request (counted, not points).
async function cumulativeMixed() {
  const { meterProvider, reader } = provider(
    { 'service.name': 'api', 'deployment.environment': 'test' },
    AggregationTemporality.CUMULATIVE,
    [
      {
        instrumentName: 'rpc.duration',
        aggregation: {
          type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
          options: { boundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
        },
      },
    ],
  );
  const meter = meterProvider.getMeter('spider-fixtures');
  const h = meter.createHistogram('rpc.duration', { unit: 's' });
  for (let i = 0; i < 200; i++) h.record(0.001 + (i % 40) * 0.03, { method: i % 2 ? 'Get' : 'Put' });
  meter.createCounter('requests').add(5, { method: 'Get' });
  meter.createGauge('queue.depth').record(3);
  meter.createUpDownCounter('inflight').add(2);
  return collect(reader);
}

// Exponential histograms: the SDK picks the scale; a zero value, a wide
// range (scale drops), and a narrow one (scale stays high).
async function exponential() {
  const { meterProvider, reader } = provider(
    { 'service.name': 'search' },
    AggregationTemporality.DELTA,
    [
      {
        instrumentName: '*.latency',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
      },
    ],
  );
  const meter = meterProvider.getMeter('spider-fixtures');
  const wide = meter.createHistogram('wide.latency', { unit: 'ms' });
  for (let i = 0; i < 300; i++) wide.record(0.05 * 1.07 ** i, { shard: 'a' });
  wide.record(0, { shard: 'a' });
  const narrow = meter.createHistogram('narrow.latency', { unit: 'us' });
  for (let i = 0; i < 100; i++) narrow.record(100 + i * 0.37);
  return collect(reader);
}

// Names and values that need JSON escapes, and a service that is not a string.
async function escapes() {
  const { meterProvider, reader } = provider(
    { 'service.name': 'naïve "svc"\n', 'service.instance.id': 42 },
    AggregationTemporality.DELTA,
  );
  const h = meterProvider.getMeter('spider-fixtures').createHistogram('déjà\tvu "ms"', { unit: 'ms' });
  h.record(12, { 'q"uote': 'back\\slash', emoji: '😀', ctl: '\u0001' });
  return collect(reader);
}

mkdirSync(outDir, { recursive: true });
await write('explicit_delta', explicitDelta);
await write('cumulative_mixed', cumulativeMixed);
await write('exponential', exponential);
await write('escapes', escapes);
console.log(`wrote 4 fixtures to ${outDir}`);
