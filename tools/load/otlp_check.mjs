// otlp_check.mjs SPIDER_LOAD - checks spider-load's OTLP request encoder with
// code nobody here wrote: the OpenTelemetry JS SDK's protobuf reader and trace
// serializer (@opentelemetry/otlp-transformer, a test dependency in
// package.json). The CTest entry load/otlp_encoding runs it.
//
// 1. `spider-load --otlp-dump FILE` writes one ExportTraceServiceRequest
//    (10 spans over 3 services x 2 names); the SDK's ProtobufReader walks it
//    and every span is checked: service, name, kind, 16/8-byte non-zero ids,
//    every span ending at the same instant close to now, lasting 1-500 ms.
// 2. The same spans, given to the SDK's own serializer, must encode every
//    field spider-load writes with the same field number, wire type and
//    value, message by message (the SDK also writes fields spider-load
//    leaves at their defaults: dropped counts, status, flags; those are
//    allowed to be extra).
// Prints "otlp_check: N passed, 0 failed" or the first mismatch, exit 1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const transformer = '@opentelemetry/otlp-transformer/build/src';
const { ProtobufReader } = require(`${transformer}/common/protobuf/protobuf-reader`);
const { ProtobufTraceSerializer } = require(`${transformer}/index`);
const { resourceFromAttributes } = require('@opentelemetry/resources');

const bin = process.argv[2];
if (!bin) {
  console.error('usage: node otlp_check.mjs path/to/spider-load');
  process.exit(2);
}
let passed = 0;
function check(cond, what) {
  if (!cond) {
    console.error(`otlp_check: FAILED: ${what}`);
    console.error(`otlp_check: ${passed} passed, 1 failed`);
    process.exit(1);
  }
  passed++;
}

// A message as a list of fields {n, wire, v}: v is a BigInt for varints and
// fixed64, a Uint8Array for length-delimited fields. `nested` names the
// fields that are messages, by message type, and recurses into them.
const NESTED = {
  request: { 1: 'resourceSpans' },
  resourceSpans: { 1: 'resource', 2: 'scopeSpans' },
  resource: { 1: 'keyValue' },
  keyValue: { 2: 'anyValue' },
  scopeSpans: { 1: 'scope', 2: 'span' },
};
function walk(bytes, type) {
  const r = new ProtobufReader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields = [];
  while (!r.isAtEnd()) {
    const { fieldNumber: n, wireType: wire } = r.readTag();
    let v;
    if (wire === 0) v = BigInt(r.readVarint());
    else if (wire === 1) {
      v = view.getBigUint64(r.pos, true);
      r.skip(1);
    } else if (wire === 2) v = r.readBytes();
    else if (wire === 5) {
      v = BigInt(view.getUint32(r.pos, true));
      r.skip(5);
    } else throw new Error(`wire type ${wire} in ${type}`);
    const sub = NESTED[type] && NESTED[type][n];
    fields.push(sub && wire === 2 ? { n, wire, v, msg: walk(v, sub), type: sub } : { n, wire, v });
  }
  return fields;
}
const get = (m, n) => m.filter((f) => f.n === n);
const one = (m, n) => {
  const f = get(m, n);
  check(f.length === 1, `exactly one field ${n} (got ${f.length})`);
  return f[0];
};
const text = (b) => new TextDecoder().decode(b);
const hex = (b) => Buffer.from(b).toString('hex');

// 1. spider-load's bytes.
const dir = mkdtempSync(join(tmpdir(), 'otlp-check-'));
const file = join(dir, 'request.bin');
const before = BigInt(Date.now()) * 1000000n;
execFileSync(bin, ['--otlp-dump', file, '--otlp-spans', '10', '--otlp-services', '3',
  '--otlp-names', '2', '--prefix', 'chk']);
const after = BigInt(Date.now()) * 1000000n;
const ours = new Uint8Array(readFileSync(file));
rmSync(dir, { recursive: true });
const request = walk(ours, 'request');

const spans = [];
const rss = get(request, 1);
check(request.every((f) => f.n === 1 && f.wire === 2), 'the request holds resource_spans only');
check(rss.length === 3, `3 resource_spans (got ${rss.length})`);
rss.forEach((rsf, j) => {
  const rs = rsf.msg;
  const kv = one(one(rs, 1).msg, 1).msg;
  check(text(one(kv, 1).v) === 'service.name', 'the resource attribute is service.name');
  const service = text(one(one(kv, 2).msg, 1).v);
  check(service === `chk.svc${j}`, `service ${j} is chk.svc${j} (got ${service})`);
  const ss = one(rs, 2).msg;
  check(text(one(one(ss, 1).msg, 1).v) === 'spider-load', 'the scope is spider-load');
  get(ss, 2).forEach((spf, i) => {
    const sp = spf.msg;
    const k = j + 3 * i; // span k goes to service k % 3 ...
    const s = {
      service,
      traceId: one(sp, 1).v,
      spanId: one(sp, 2).v,
      name: text(one(sp, 5).v),
      kind: one(sp, 6),
      start: one(sp, 7),
      end: one(sp, 8),
    };
    check(s.name === `op${Math.floor(k / 3) % 2}`, `span ${k} is named op${Math.floor(k / 3) % 2}`);
    check(s.kind.wire === 0 && s.kind.v === 2n, 'kind is a varint, SPAN_KIND_SERVER (2)');
    check(s.start.wire === 1 && s.end.wire === 1, 'start and end times are fixed64');
    check(s.traceId.length === 16 && /[^0]/.test(hex(s.traceId)), 'trace_id: 16 bytes, not 0');
    check(s.spanId.length === 8 && /[^0]/.test(hex(s.spanId)), 'span_id: 8 bytes, not 0');
    const d = s.end.v - s.start.v;
    check(d >= 1000000n && d <= 500000000n, `duration 1-500 ms (got ${d} ns)`);
    spans.push(s);
  });
});
check(spans.length === 10, `10 spans (got ${spans.length})`);
check(new Set(spans.map((s) => hex(s.traceId))).size === 10, 'trace ids are distinct');
check(new Set(spans.map((s) => hex(s.spanId))).size === 10, 'span ids are distinct');
const end = spans[0].end.v;
check(spans.every((s) => s.end.v === end), 'every span ends at the same instant');
check(end >= before - 1000000000n && end <= after + 1000000000n, 'spans end now');

// 2. The SDK's encoding of the same spans.
const hr = (ns) => [Number(ns / 1000000000n), Number(ns % 1000000000n)];
const scope = { name: 'spider-load' };
const resources = new Map();
const sdkSpans = spans.map((s) => {
  if (!resources.has(s.service))
    resources.set(s.service, resourceFromAttributes({ 'service.name': s.service }));
  return {
    name: s.name,
    kind: 1, // @opentelemetry/api SpanKind.SERVER; the wire value is kind + 1
    spanContext: () => ({ traceId: hex(s.traceId), spanId: hex(s.spanId), traceFlags: 0 }),
    parentSpanContext: undefined,
    startTime: hr(s.start.v),
    endTime: hr(s.end.v),
    status: { code: 0 },
    attributes: {},
    links: [],
    events: [],
    duration: hr(s.end.v - s.start.v),
    ended: true,
    resource: resources.get(s.service),
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
});
const theirs = walk(ProtobufTraceSerializer.serializeRequest(sdkSpans), 'request');

// Every field of ours is in theirs, in order among the fields of its number.
function contained(a, b, path) {
  const byNumber = new Map();
  for (const f of b) {
    if (!byNumber.has(f.n)) byNumber.set(f.n, []);
    byNumber.get(f.n).push(f);
  }
  const seen = new Map();
  for (const f of a) {
    const i = seen.get(f.n) || 0;
    seen.set(f.n, i + 1);
    const g = (byNumber.get(f.n) || [])[i];
    const where = `${path}.${f.n}[${i}]`;
    check(g !== undefined, `${where}: the SDK writes this field too`);
    check(g.wire === f.wire, `${where}: wire type ${f.wire}, the SDK's ${g.wire}`);
    if (f.msg) contained(f.msg, g.msg, where);
    else if (f.wire === 2) check(hex(f.v) === hex(g.v), `${where}: bytes ${hex(f.v)}, the SDK's ${hex(g.v)}`);
    else check(f.v === g.v, `${where}: value ${f.v}, the SDK's ${g.v}`);
  }
}
contained(request, theirs, 'request');
console.log(`otlp_check: ${passed} passed, 0 failed`);
