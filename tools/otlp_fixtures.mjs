#!/usr/bin/env node
// otlp_fixtures.mjs - writes the OTLP trace fixtures of tests/fixtures/otlp/.
//
// The request bytes come from the OpenTelemetry JS SDK, an encoder nobody
// here wrote: spans are made with @opentelemetry/sdk-trace-base (real
// tracers, resources, scopes, attributes, events, links, status) and turned
// into ExportTraceServiceRequest bodies by @opentelemetry/otlp-transformer's
// ProtobufTraceSerializer and JsonTraceSerializer, exactly what the OTLP
// exporters send. For each fixture NAME it writes
//
//   NAME.pb      the protobuf body (application/x-protobuf)
//   NAME.json    the OTLP/JSON body (application/json)
//   NAME.expect  the spans as the SDK reported them (ReadableSpan), one per
//                line, in the order the request carries them:
//                SERVICE NAME START_NS END_NS # readable comment
//                with SERVICE and NAME as hex of their UTF-8 bytes ("-" when
//                empty); SERVICE is the resource's service.name when it is a
//                string, else empty (what the decoder promises).
//
// Ids come from a counter, so the output is the same on every run:
//   node tools/otlp_fixtures.mjs [OUT_DIR]     (default tests/fixtures/otlp)
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const api = require('@opentelemetry/api');
const {
  BasicTracerProvider,
  SimpleSpanProcessor,
  InMemorySpanExporter,
} = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const {
  ProtobufTraceSerializer,
  JsonTraceSerializer,
} = require('@opentelemetry/otlp-transformer');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.argv[2] ?? join(root, 'tests/fixtures/otlp');

function version(pkg) {
  return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
}

// Deterministic ids: a counter, rendered as hex of the right width.
let nextId = 1;
const idGenerator = {
  generateTraceId: () => (nextId++).toString(16).padStart(32, '0'),
  generateSpanId: () => (nextId++).toString(16).padStart(16, '0'),
};

// One exporter for every provider: spans land in the order they end.
const exporter = new InMemorySpanExporter();

function provider(attributes) {
  return new BasicTracerProvider({
    resource: resourceFromAttributes(attributes),
    idGenerator,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
}

const hr = (s, ns) => [s, ns];
const T0 = 1700000000; // 2023-11-14, seconds

// Makes and ends one span; returns it (for parents and links).
function span(tracer, name, start, end, opts = {}, parent) {
  const ctx = parent ? api.trace.setSpan(api.context.active(), parent) : api.context.active();
  const s = tracer.startSpan(
    name,
    { startTime: start, kind: opts.kind, attributes: opts.attributes, links: opts.links },
    ctx,
  );
  for (const e of opts.events ?? []) s.addEvent(e.name, e.attributes, e.time);
  if (opts.status) s.setStatus(opts.status);
  if (opts.end !== false) s.end(end);
  return s;
}

// The fixture with everything: four resources (three services, one
// without service.name, one whose service.name is a number), several
// scopes, names with UTF-8, quotes, escapes, a lone surrogate, empty; every
// attribute type; events, links, status; times down to the nanosecond.
function mixed() {
  const checkout = provider({
    'service.name': 'checkout',
    'service.version': '1.4.2',
    'deployment.environment': 'prod',
    'host.cores': 2,
  });
  const http = checkout.getTracer('@opentelemetry/instrumentation-http', '0.57.0');
  const db = checkout.getTracer('pg', '8.11.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const root = span(http, 'GET /x', hr(T0, 0), hr(T0, 12000000), {
    kind: api.SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.path': '/x',
      'server.duration_ratio': 0.25,
      'http.keep_alive': true,
      'http.request.header.accept': ['text/html', 'application/json'],
      'retry.delays': [1, 2, 3],
    },
    end: false,
  });
  const child = span(http, 'say "hi" \\ to résumé ✓ 🕷', hr(T0, 1000001), hr(T0, 5999999), {
    kind: api.SpanKind.CLIENT,
    events: [
      { name: 'retry', attributes: { attempt: 1, reason: 'timeout "soft"' }, time: hr(T0, 2000000) },
      { name: 'done', time: hr(T0, 5000000) },
    ],
  }, root);
  root.end(hr(T0, 12000000));
  span(db, 'SELECT * FROM "orders" WHERE id = $1', hr(T0 + 1, 999999999), hr(T0 + 2, 1), {
    kind: api.SpanKind.CLIENT,
    attributes: { 'db.system': 'postgresql', 'db.rows': 3 },
    links: [{ context: child.spanContext(), attributes: { 'link.kind': 'follows' } }],
    status: { code: api.SpanStatusCode.ERROR, message: 'deadlock "detected"' },
  }, root);
  span(db, 'tab\there\nnewline\u0001ctl', hr(T0 + 3, 5), hr(T0 + 3, 6));

  const payments = provider({ 'service.name': 'paiements-€', 'cloud.region': 'eu-west-3' });
  const grpc = payments.getTracer('grpc', '1.0.0');
  span(grpc, 'Charge/Create', hr(T0 + 10, 123456789), hr(T0 + 10, 987654321), {
    kind: api.SpanKind.SERVER,
    status: { code: api.SpanStatusCode.OK },
  });
  span(grpc, '', hr(T0 + 11, 0), hr(T0 + 11, 0)); // empty name, zero duration
  span(grpc, 'lone \ud800 surrogate', hr(T0 + 12, 1), hr(T0 + 12, 2));
  const queue = payments.getTracer('kafka');
  span(queue, 'orders publish', hr(T0 + 13, 0), hr(T0 + 13, 500), { kind: api.SpanKind.PRODUCER });

  const anonymous = provider({ 'telemetry.sdk.language': 'nodejs' }); // no service.name
  span(anonymous.getTracer('cron'), 'nightly', hr(T0 + 20, 0), hr(T0 + 80, 0));

  const numbered = provider({ 'service.name': 42, 'service.namespace': 'shop' }); // not a string
  const t = numbered.getTracer('legacy', '0.0.1');
  span(t, 'end before start', hr(T0 + 30, 500), hr(T0 + 30, 100)); // the SDK clamps end to start
  span(t, 'epoch', hr(0, 0), hr(0, 1));
  span(t, 'far future', hr(18446744072, 0), hr(18446744073, 709551615)); // end = 2^64 - 1 ns
}

// A batch as an exporter sends it: 100 spans, one service, two scopes.
function batch() {
  const p = provider({ 'service.name': 'frontend', 'process.pid': 4242 });
  const tracers = [p.getTracer('http', '1.0.0'), p.getTracer('render', '2.0.0')];
  for (const [k, tracer] of tracers.entries()) {
    for (let i = 0; i < 50; i++) {
      const start = hr(T0 + 100 + i, (i * 7919) % 1000000000);
      const end = hr(T0 + 100 + i, ((i * 7919) % 1000000000) + 1000 * (i + 1) + k);
      span(tracer, `${k ? 'render' : 'GET'} /item/${i}`, start, end, {
        kind: api.SpanKind.SERVER,
        attributes: { 'http.route': '/item/:id', 'item.id': i, 'cache.hit': i % 3 === 0 },
        events: i % 10 === 0 ? [{ name: 'gc', attributes: { 'gc.kind': 'minor' }, time: start }] : [],
      });
    }
  }
}

const hex = (s) => (s.length ? Buffer.from(s, 'utf8').toString('hex') : '-');
const nanos = (t) => (BigInt(t[0]) * 1000000000n + BigInt(t[1])).toString();

// The order the serializers put spans in: by resource, then by scope, each
// in order of first appearance. The fixtures end their spans in that order
// already; this only checks it, so the .expect file is the SDK's own order.
function checkGrouped(spans) {
  const grouped = new Map();
  for (const s of spans) {
    if (!grouped.has(s.resource)) grouped.set(s.resource, new Map());
    const scopes = grouped.get(s.resource);
    if (!scopes.has(s.instrumentationScope)) scopes.set(s.instrumentationScope, []);
    scopes.get(s.instrumentationScope).push(s);
  }
  const order = [...grouped.values()].flatMap((scopes) => [...scopes.values()].flat());
  if (order.some((s, i) => s !== spans[i])) throw new Error('spans not in request order');
}

function write(name, make) {
  exporter.reset();
  make();
  const spans = exporter.getFinishedSpans();
  checkGrouped(spans);
  const pb = ProtobufTraceSerializer.serializeRequest(spans);
  const json = JsonTraceSerializer.serializeRequest(spans);
  const lines = [
    `# Generated by tools/otlp_fixtures.mjs: @opentelemetry/sdk-trace-base ${version('@opentelemetry/sdk-trace-base')},`,
    `# @opentelemetry/otlp-transformer ${version('@opentelemetry/otlp-transformer')} (ProtobufTraceSerializer, JsonTraceSerializer).`,
    '# One span per line, in request order: SERVICE NAME START_NS END_NS, SERVICE and NAME',
    '# as hex of their UTF-8 bytes ("-" when empty), then the same as JSON.',
  ];
  for (const s of spans) {
    const service = s.resource.attributes['service.name'];
    const svc = typeof service === 'string' ? service : '';
    lines.push(
      `${hex(svc)} ${hex(s.name)} ${nanos(s.startTime)} ${nanos(s.endTime)} # ` +
        JSON.stringify({ service: svc, name: s.name }),
    );
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${name}.pb`), pb);
  writeFileSync(join(outDir, `${name}.json`), json);
  writeFileSync(join(outDir, `${name}.expect`), lines.join('\n') + '\n');
  console.log(`${name}: ${spans.length} spans, ${pb.length} bytes pb, ${json.length} bytes json`);
}

api.diag.setLogger({ warn() {}, error: console.error, info() {}, debug() {}, verbose() {} });
write('sdk_mixed', mixed);
write('sdk_batch', batch);
