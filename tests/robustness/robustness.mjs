// Robustness: seeded, bounded, protocol-aware stress of the real spider
// binary over raw loopback sockets. It covers what the libFuzzer targets do
// not reach: libwebsockets' HTTP/1.1 parser and WebSocket framing, and our
// callbacks behind them (routing, body reading, keep-alive, the upgrade);
// the OTLP port's reader and the StatsD socket in the same loop.
//
// Every case is derived from the run's seed: valid and broken HTTP/1.1
// requests (routes, bodies, lengths, chunked, Expect, methods, absolute-form,
// % escapes, folding, NULs, huge heads, HTTP/2 preface, garbage), several
// pipelined in one write, split at random byte boundaries with small delays,
// ended by reading, by a half-close, by a close or by a reset; WebSocket
// upgrades to /ws followed by valid and invalid frames; on the OTLP port
// (--otlp-listen, Spider's own HTTP/1.1 reader) POST /v1/traces in protobuf
// and OTLP/JSON, by length or chunked, gzip (valid, broken, bombs), wrong
// types, routes and Hosts, broken heads, lengths and chunks, 100-continue,
// pipelines (up to 400 tiny requests in one write); StatsD datagrams on the
// UDP port (valid lines of every type, bad values, types, rates, tags and
// names, NULs, 64 KiB lines, thousands of lines, random bytes, bursts); a
// few connections at once (at most 4, plus the probe), with datagrams
// beside them. A case reads with short timeouts: the server may answer or
// close. It fails on a hang (after every case a fresh connection must get
// 200 from GET /healthz within the probe bound), a crash, a sanitizer report
// on the server's stderr, or a lost sample (three series posted at the
// start, by JSON, StatsD and OTLP, must keep their exact counts). Answers
// that break docs/protocol.md without breaking the server (a non-JSON
// refusal, a missing answer, an unexpected status) are listed as
// observations.
//
//   SPIDER_BIN=build/spider node tests/robustness/robustness.mjs
//   ROBUST_SEED=N        replay a run (the seed is printed first)
//   ROBUST_CASE=K        with ROBUST_SEED: run only case K (as printed)
//   ROBUST_SECONDS=S     duration (default 60); ROBUST_MAX_CASES bounds the count
//   ROBUST_PROBE_MS=MS   liveness bound (default 1000, 2000 when SPIDER_SANITIZED=1)
//   ROBUST_MAX_FAILURES  stop after this many failures (default 5; the server
//                        is restarted after each one)
//   ROBUST_VERBOSE=1     print every case
// Replayed bytes are the same except the ports in Host/Origin, sample and
// span timestamps, which follow the clock, and so gzip bodies (and where a
// cut or a flipped bit falls in one). The last line is `N passed, M failed`.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import zlib from 'node:zlib';

const BIN = process.env.SPIDER_BIN;
if (!BIN) {
  console.error('SPIDER_BIN must name the spider binary (ctest sets it)');
  process.exit(2);
}
const SANITIZED = process.env.SPIDER_SANITIZED === '1';
const envInt = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`${name}=${v} is not a non-negative number`);
    process.exit(2);
  }
  return n;
};
const SEED = envInt('ROBUST_SEED', crypto.randomInt(0, 2 ** 32)) >>> 0;
const ONLY_CASE = process.env.ROBUST_CASE !== undefined ? envInt('ROBUST_CASE', 0) : null;
const SECONDS = envInt('ROBUST_SECONDS', 60);
const MAX_CASES = envInt('ROBUST_MAX_CASES', 1000000);
const MAX_FAILURES = Math.max(1, envInt('ROBUST_MAX_FAILURES', 5));
const VERBOSE = process.env.ROBUST_VERBOSE === '1';
const SLOW = SANITIZED ? 3 : 1;
// Liveness: a fresh GET /healthz on a well server is answered within 2 ms,
// plain or ASan+UBSan (measured: p99 0.9 ms plain, 1.6 ms sanitized); the
// bound leaves room for a loaded CI machine, not for a server that is stuck.
const PROBE_MS = envInt('ROBUST_PROBE_MS', SANITIZED ? 2000 : 1000);
// A case stops reading once the server has been silent this long (it then
// waits for bytes we will not send, which is fine) ...
const IDLE_MS = 120 * SLOW;
// ... and in any case after this long.
const CASE_MS = 3000 * SLOW;
const ANCHOR = 'robust.anchor';
const ANCHOR_N = 250;
// The same for a series fed by StatsD (UDP) and one fed by OTLP (the OTLP
// port): posted at the start, their exact counts checked after every case.
const STATSD_ANCHOR = 'robust.statsd.anchor';
const STATSD_ANCHOR_N = 200;
const OTLP_ANCHOR_SPAN = 'robust.otlp.anchor';
const OTLP_ANCHOR_SERVICE = 'robust';
const OTLP_ANCHOR_N = 150;
const ANCHORS = [
  { name: ANCHOR, n: ANCHOR_N },
  { name: STATSD_ANCHOR, n: STATSD_ANCHOR_N },
  { name: `${OTLP_ANCHOR_SPAN}{service="${OTLP_ANCHOR_SERVICE}"}`, n: OTLP_ANCHOR_N },
];
const ANCHOR_EVERY = 1; // cases between anchor checks: after every case
const MAX_CONCURRENT = 4; // connections of one case (plus one probe)
const SAN_RE = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: \w+Sanitizer/;

// ---------------------------------------------------------------- random
// mulberry32: small, fast, and the same on every machine.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// Case k of a run has its own stream, so ROBUST_CASE can replay it alone.
function caseRng(seed, k) {
  const f = mulberry32((seed ^ Math.imul(k + 1, 0x9e3779b9)) >>> 0);
  f();
  const r = {
    float: f,
    int: (n) => Math.floor(f() * n), // [0, n)
    range: (lo, hi) => lo + Math.floor(f() * (hi - lo + 1)),
    chance: (p) => f() < p,
    pick: (a) => a[Math.floor(f() * a.length)],
    weighted: (items) => {
      // items: [[weight, value], ...]
      let total = 0;
      for (const [w] of items) total += w;
      let x = f() * total;
      for (const [w, v] of items) if ((x -= w) < 0) return v;
      return items[items.length - 1][1];
    },
    bytes: (n) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(f() * 256);
      return b;
    },
  };
  return r;
}

// ---------------------------------------------------------------- bytes
const B = (s) => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1'));
const U = (s) => Buffer.from(s, 'utf8');
const cat = (...parts) => Buffer.concat(parts.map(B));

// Printable form of bytes: \r \n \t \\ \xNN, and "\*{N}" for a byte repeated
// N times in a row (so a 64 KiB header stays readable).
function esc(buf, max = 6000) {
  let out = '';
  let i = 0;
  while (i < buf.length && out.length < max) {
    const b = buf[i];
    let j = i + 1;
    while (j < buf.length && buf[j] === b) j++;
    const ch =
      b === 0x0d ? '\\r'
      : b === 0x0a ? '\\n'
      : b === 0x09 ? '\\t'
      : b === 0x5c ? '\\\\'
      : b >= 0x20 && b < 0x7f ? String.fromCharCode(b)
      : '\\x' + b.toString(16).padStart(2, '0');
    if (j - i >= 12) {
      out += `${ch}\\*{${j - i}}`;
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  if (i < buf.length) out += `...(${buf.length - i} more bytes)`;
  return out;
}

// A request: method, target, header lines ([name, value] or a raw string),
// body; eol and version can be broken on purpose.
function request(method, target, headers = [], body = '', { version = 'HTTP/1.1', eol = '\r\n' } = {}) {
  let head = `${method} ${target}${version ? ' ' + version : ''}${eol}`;
  for (const h of headers) head += (Array.isArray(h) ? `${h[0]}: ${h[1]}` : h) + eol;
  return cat(head + eol, body);
}

// ---------------------------------------------------------------- generators
// Each request generator returns
//   {bytes, kind, method, expect, keep, json, due}
// expect: the status docs/protocol.md requires, or a list of them (null:
// several are fine);
// due: the request is complete, so an answer (or a close) must come;
// keep: that answer keeps the connection open (later pipelined requests are
// due too); json: the answer must be JSON.
const NAMES = ['rb.a', 'rb.b', 'rb.c', 'rb.d/slash', 'rb space', 'rb.ü', 'rb.%', 'rb.' + 'n'.repeat(197)];

function points(g, { maxSeries = 3, maxSamples = 12, rejects = true } = {}) {
  const now = Date.now();
  const parts = [];
  const ws = () => g.r.pick(['', '', '', ' ', '\n', '\t ']);
  const n = g.r.range(1, maxSeries);
  for (let s = 0; s < n; s++) {
    const samples = [];
    const m = g.r.range(1, maxSamples);
    for (let i = 0; i < m; i++) {
      const kind = g.r.int(rejects ? 10 : 8);
      const ms = g.r.pick([0, 1, 2.5, 12.25, 999.125, 1e3, 3e-3, g.r.range(0, 100000) / 8]);
      if (kind < 4) samples.push(String(ms));
      else if (kind < 8) samples.push(`[${now - g.r.range(0, 120000)},${ws()}${ms}]`);
      else samples.push(g.r.pick(['-1', '1e400', `[${now - 3 * 3600 * 1000},1]`, `[${now + 3600000},1]`, '[1.5,1]']));
    }
    parts.push(`${ws()}${JSON.stringify(g.r.pick(NAMES))}${ws()}:${ws()}[${samples.join(',' + ws())}]`);
  }
  return `{${parts.join(',')}}`;
}

function postReq(g, body, extra = [], { ct = 'application/json', cl = undefined } = {}) {
  const b = U(body);
  const h = [['Host', g.host]];
  if (ct !== null) h.push(['Content-Type', ct]);
  if (cl !== null) h.push(['Content-Length', cl === undefined ? String(b.length) : cl]);
  return request('POST', '/api/v1/points', [...h, ...extra], b);
}

const get = (g, target, extra = []) => request('GET', target, [['Host', g.host], ...extra]);
const R = (kind, bytes, o = {}) => ({
  kind,
  bytes,
  method: o.method ?? 'GET',
  expect: o.expect ?? null,
  keep: o.keep ?? false,
  json: o.json ?? true,
  pb: o.pb ?? false, // an OTLP protobuf upload: its 200 and 400 answers are protobuf
  due: o.due ?? true,
});

const GEN = {
  healthz(g) {
    const v = g.r.int(6);
    if (v === 0) return R('healthz', get(g, '/healthz', [['Connection', 'close']]), { expect: 200 });
    if (v === 1)
      return R('healthz', request('GET', '/healthz', [['Host', g.host]], '', { version: 'HTTP/1.0' }), { expect: 200 });
    const extra = g.r.chance(0.3) ? [['User-Agent', 'robust/1'], ['Accept', '*/*']] : [];
    return R('healthz', get(g, '/healthz', extra), { expect: 200, keep: true });
  },

  series_list(g) {
    return R('series_list', get(g, g.r.pick(['/api/v1/series', '/api/v1/series?', '/metrics'])), {
      keep: true,
      json: false,
    });
  },

  series_get(g) {
    const now = Date.now();
    const anchor = g.r.chance(0.5);
    const name = anchor ? ANCHOR : g.r.pick(NAMES);
    const params = g.r.weighted([
      [3, ['', 200]],
      [2, [`?since=${now - 3600000}`, 200]],
      [2, [`?since=${now - 3600000}&until=${now + 1000}`, 200]],
      [1, ['?since=abc', 400]],
      [1, ['?since=5&until=5', 400]],
      [1, ['?until=1', null]],
      [1, ['?foo=1', 400]],
      [1, ['?since=', null]],
      [1, ['?since=1e3', null]],
      [1, ['?since=99999999999999999999999', null]],
      [1, ['?since=1&since=2', null]],
      [1, ['?since=-5', null]],
      [1, ['?&&&=', null]],
    ]);
    return R('series_get', get(g, `/api/v1/series/${encodeURIComponent(name)}${params[0]}`), {
      expect: anchor ? params[1] : null,
      keep: true,
    });
  },

  post_valid(g) {
    const ct = g.r.pick(['application/json', 'application/json', 'application/json; charset=utf-8']);
    return R('post_valid', postReq(g, points(g), [], { ct }), { method: 'POST', expect: 200, keep: true });
  },

  post_bad_json(g) {
    const good = points(g, { rejects: false });
    const v = g.r.int(8);
    let body;
    let expect = 400;
    if (v === 0) body = good.slice(0, g.r.range(0, good.length - 1)); // a prefix is never valid
    else if (v === 1) body = good + g.r.pick(['x', ',', '{}', ' ]', '\u0000']);
    else if (v === 2)
      body = g.r.pick([
        '',
        'null',
        '[]',
        '"x"',
        '{"a":1}',
        '{"a":[[1]]}',
        '{"a":[[1,2,3]]}',
        '{"a":[{}]}',
        '{"a":[1,]}',
        '{"a":["1"]}',
        '{"a":[' + '1'.repeat(70) + ']}',
        '{a:[1]}',
        "{'a':[1]}",
        '\ufeff{"a":[1]}',
        '{"a":[NaN]}',
        '{"a":[Infinity]}',
        '{"a":[0x10]}',
        '{"a":[01]}',
        '{"\\ud800":[1]}junk',
      ]);
    else if (v === 3) body = '['.repeat(g.r.range(10, 20000));
    else if (v === 4) body = '{"rb.a":' + '['.repeat(3000) + ']'.repeat(3000) + '}';
    else {
      // a random edit: may still be valid, so no expectation
      const b = U(good);
      const at = g.r.int(b.length);
      if (v === 5) b[at] = g.r.int(256);
      else if (v === 6) b[at] = g.r.pick([0x22, 0x5c, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x3a, 0x00, 0xff]);
      else b[at] = 0x80 | g.r.int(64);
      expect = null;
      const h = [['Host', g.host], ['Content-Type', 'application/json'], ['Content-Length', String(b.length)]];
      return R('post_bad_json', request('POST', '/api/v1/points', h, b), { method: 'POST', expect, keep: false });
    }
    return R('post_bad_json', postReq(g, body), { method: 'POST', expect, keep: true });
  },

  post_bad_length(g) {
    const body = points(g);
    const len = Buffer.byteLength(body);
    const v = g.r.int(9);
    const o = { method: 'POST', keep: false };
    if (v === 0) return R('post_bad_length', postReq(g, body, [], { cl: null }), { ...o, expect: 411 });
    if (v === 1) return R('post_bad_length', postReq(g, body, [], { cl: String(g.r.range(0, len - 1)) }), o);
    if (v === 2) return R('post_bad_length', postReq(g, body, [], { cl: String(len + g.r.range(1, 5000)) }), { ...o, due: false });
    if (v === 3) return R('post_bad_length', postReq(g, '', [], { cl: '0' }), { ...o, expect: 400, keep: true });
    if (v === 4)
      return R('post_bad_length', postReq(g, '', [], { cl: String(g.r.pick([8 * 1048576 + 1, 9999999, 2 ** 31, 2 ** 53])) }), {
        ...o,
        expect: 413,
      });
    if (v === 5)
      return R('post_bad_length', postReq(g, body, [['Content-Length', String(len + 3)]]), o);
    const bogus = g.r.pick(['abc', '-1', '+5', ` ${len} `, `${len}, ${len}`, '0x10', '1e2', '99999999999999999999999', '', `${len}a`, '-0']);
    return R('post_bad_length', postReq(g, body, [], { cl: bogus }), o);
  },

  post_chunked(g) {
    const body = U(points(g));
    const chunks = [];
    let i = 0;
    while (i < body.length) {
      const n = Math.min(body.length - i, g.r.range(1, 64));
      chunks.push(cat(n.toString(16) + '\r\n', body.subarray(i, i + n), '\r\n'));
      i += n;
    }
    const enc = cat(...chunks, '0\r\n\r\n');
    const v = g.r.int(4);
    const te = v === 3 ? g.r.pick(['gzip', 'identity', 'chunked, identity', 'xchunked']) : g.r.pick(['chunked', 'Chunked', 'CHUNKED']);
    const h = [['Host', g.host], ['Content-Type', 'application/json'], ['Transfer-Encoding', te]];
    if (v === 1) h.push(['Content-Length', String(enc.length)]);
    return R('post_chunked', request('POST', '/api/v1/points', h, enc), {
      method: 'POST',
      expect: v === 3 ? null : 411,
    });
  },

  // Expect: 100-continue with the body in the same write (the standalone
  // shape below waits for the interim answer first).
  expect_continue(g) {
    const v = g.r.int(3);
    if (v === 0)
      return R('expect_continue', postReq(g, points(g), [['Expect', '100-continue']]), { method: 'POST', expect: 200, keep: true });
    if (v === 1)
      return R('expect_continue', postReq(g, points(g), [['Expect', '100-continue']], { ct: 'text/plain' }), {
        method: 'POST',
        expect: 415,
      });
    return R('expect_continue', postReq(g, points(g), [['Expect', g.r.pick(['200-ok', '100-Continue', '100-continue, x'])]]), {
      method: 'POST',
    });
  },

  bad_method(g) {
    const target = g.r.pick(['/healthz', '/api/v1/series', '/api/v1/points', '/']);
    const known = g.r.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS']);
    const v = g.r.int(4);
    if (v === 0 && target !== '/')
      return R('bad_method', request(known, target, [['Host', g.host]]), { method: known, expect: 405 });
    if (v === 1 && target === '/api/v1/points')
      return R('bad_method', request('GET', target, [['Host', g.host]]), { expect: 405 });
    if (v === 2)
      return R('bad_method', request('HEAD', target, [['Host', g.host]]), { method: 'HEAD', json: false, keep: true });
    const m = g.r.pick(['TRACE', 'CONNECT', 'BREW', 'get', 'GETT', 'G\tET', 'PROPFIND', 'M'.repeat(g.r.range(20, 3000)), '\x00GET', 'POST\x7f']);
    return R('bad_method', request(m, target, [['Host', g.host]]), { method: m, json: target !== '/' });
  },

  absolute_uri(g) {
    const t = g.r.pick([
      `http://${g.host}/healthz`,
      `http://${g.host}/api/v1/series`,
      `HTTP://${g.host}/healthz`,
      'https://evil.example/healthz',
      '*',
      'healthz',
      '//healthz',
      '/./healthz',
      '/api/v1/../../healthz',
      '/healthz#frag',
      '/healthz?',
      `${g.host}`,
    ]);
    const m = t === g.host ? 'CONNECT' : g.r.pick(['GET', 'GET', 'OPTIONS']);
    return R('absolute_uri', request(m, t, [['Host', g.host]]), { method: m });
  },

  bad_escape(g) {
    const t = g.r.pick([
      '/api/v1/series/%',
      '/api/v1/series/%zz',
      '/api/v1/series/%0',
      '/api/v1/series/%00',
      '/api/v1/series/a%00b',
      '/api/v1/series/%ff%fe',
      '/api/v1/series/%c0%af',
      '/api/v1/series/%ed%a0%80',
      '/api/v1/series/rb%2Fa',
      '/api/v1/series/%25%',
      '/api/v1/series/' + '%41'.repeat(g.r.range(60, 400)),
      '/api/v1/series/rb.a?since=%31%32',
      '/api/v1/series/rb.a?since=%zz',
      '/api/v1/series/rb.a?%00=1',
      '/healthz%00',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/../../../../etc/passwd',
      '/%2e%2e%5c%2e%2e%5cetc%5cpasswd',
      '/app.js%00.html',
      '/%',
      '/%%%%',
    ]);
    return R('bad_escape', get(g, t), { json: false });
  },

  header_folding(g) {
    const v = g.r.int(7);
    const hp = ['Host', g.host];
    if (v === 0) return R('header_folding', request('GET', '/healthz', [hp, 'X-A: 1', '  continued', '\tmore']));
    if (v === 1) {
      const body = points(g);
      return R('header_folding',
        request('POST', '/api/v1/points', [hp, 'Content-Type:', ' application/json', `Content-Length: ${Buffer.byteLength(body)}`], body),
        { method: 'POST' });
    }
    if (v === 2) {
      const body = points(g);
      return R('header_folding',
        request('POST', '/api/v1/points', [hp, 'Content-Type: application/json', 'Content-Length:', ` ${Buffer.byteLength(body)}`], body),
        { method: 'POST' });
    }
    if (v === 3) return R('header_folding', request('GET', '/healthz', [' X-Leading: 1', hp]));
    if (v === 4) return R('header_folding', request('GET', '/healthz', [hp, 'NoColonHere']));
    if (v === 5) return R('header_folding', request('GET', '/healthz', [hp, 'Content-Length : 0', ': empty-name']));
    return R('header_folding', request('GET', '/healthz', [hp, 'X\x01Ctl: 1', 'X-Bad: a\rb']));
  },

  nul_bytes(g) {
    const base = g.r.chance(0.5) ? get(g, '/healthz') : postReq(g, points(g));
    const b = Buffer.from(base);
    const head = b.indexOf('\r\n\r\n');
    const n = g.r.range(1, 3);
    for (let i = 0; i < n; i++) b[g.r.int(g.r.chance(0.8) ? head : b.length)] = 0;
    return R('nul_bytes', b, { method: base[0] === 0x50 ? 'POST' : 'GET' });
  },

  huge_headers(g) {
    const v = g.r.int(5);
    const size = g.r.pick([1000, 4000, 4096, 4200, 8192, 16384, 65536]);
    const hp = ['Host', g.host];
    if (v === 0) return R('huge_headers', request('GET', '/healthz', [hp, ['X-Big', 'v'.repeat(size)]]));
    if (v === 1) {
      const h = [hp];
      for (let i = 0, n = g.r.range(50, 600); i < n; i++) h.push([`X-H${i}`, String(i)]);
      return R('huge_headers', request('GET', '/healthz', h));
    }
    if (v === 2) return R('huge_headers', get(g, '/api/v1/series/' + 'a'.repeat(size)));
    if (v === 3) return R('huge_headers', get(g, '/healthz?' + 'q=1&'.repeat(size >> 2)));
    return R('huge_headers', request('GET', '/healthz', [hp, ['Cookie', 'c=' + 'x'.repeat(size)], ['Host', g.host]]));
  },

  bad_version(g) {
    const v = g.r.pick([
      ['HTTP/1.2', null],
      ['HTTP/2.0', null],
      ['HTTP/0.9', null],
      ['HTTP/9.9', null],
      ['http/1.1', null],
      ['HTTP/1.1 ', null],
      ['HTTP/1', null],
      ['', 'nover'],
      ['HTTP/1.1', 'lf'],
      ['HTTP/1.1', 'cr'],
      ['HTTP/1.1', 'nohost'],
      ['HTTP/1.0', 'keepalive'],
    ]);
    if (v[1] === 'nover') return R('bad_version', B('GET /healthz\r\n\r\n'), { due: true });
    if (v[1] === 'lf') return R('bad_version', request('GET', '/healthz', [['Host', g.host]], '', { eol: '\n' }));
    if (v[1] === 'cr') return R('bad_version', request('GET', '/healthz', [['Host', g.host]], '', { eol: '\r' }), { due: false });
    if (v[1] === 'nohost') return R('bad_version', request('GET', '/healthz', []));
    if (v[1] === 'keepalive')
      return R('bad_version', request('GET', '/healthz', [['Host', g.host], ['Connection', 'keep-alive']], '', { version: 'HTTP/1.0' }), {
        expect: 200,
      });
    return R('bad_version', request('GET', '/healthz', [['Host', g.host]], '', { version: v[0] }));
  },

  static_files(g) {
    const t = g.r.weighted([
      [3, ['/', 200, false]],
      [2, ['/app.js', 200, false]],
      [2, ['/style.css', 200, false]],
      [3, ['/nope', 404, true]],
      [1, ['/vendor/echarts.js', 200, false]],
    ]);
    const extra = [];
    if (g.r.chance(0.4)) extra.push(['Accept-Encoding', g.r.pick(['gzip', 'gzip, deflate, br', 'identity', '*', 'gzip;q=0'])]);
    const inm = g.r.chance(0.3);
    if (inm) extra.push(['If-None-Match', g.r.pick(['*', '"abc"', 'W/"x"', '"' + 'e'.repeat(300) + '"'])]);
    return R('static_files', get(g, t[0], extra), { expect: inm && t[1] === 200 ? [200, 304] : t[1], json: t[2], keep: true });
  },

  h2_preface(g) {
    const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const v = g.r.int(3);
    if (v === 0) return R('h2_preface', B(preface), { due: false });
    if (v === 1) return R('h2_preface', cat(preface, settings, g.r.bytes(g.r.range(0, 64))), { due: false });
    return R('h2_preface',
      request('GET', '/healthz', [['Host', g.host], ['Connection', 'Upgrade, HTTP2-Settings'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA']]));
  },

  garbage(g) {
    const v = g.r.int(6);
    let b;
    if (v === 0) b = g.r.bytes(g.r.range(1, 2000));
    else if (v === 1) b = B(Array.from({ length: g.r.range(1, 500) }, () => String.fromCharCode(g.r.range(32, 126))).join(''));
    else if (v === 2) b = B('\r\n'.repeat(g.r.range(1, 200)));
    else if (v === 3) b = cat(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), g.r.bytes(64));
    else if (v === 4) b = B('GET /healthz HTTP/1.1\r\n'); // a head that never ends
    else b = cat('\r\n', get(g, '/healthz')); // a leading empty line is allowed
    return R('garbage', b, { due: v === 5, expect: v === 5 ? 200 : null, keep: v === 5 });
  },
};

// ---------------------------------------------------------------- OTLP port
// Requests to POST /v1/traces on the OTLP port (Spider's own HTTP/1.1
// reader, core/h1req, and api/otlp behind it): protobuf by hand (the fields
// Spider reads of opentelemetry-proto trace/v1: ExportTraceServiceRequest
// {1: ResourceSpans}, ResourceSpans {1: Resource {1: KeyValue}, 2:
// ScopeSpans {2: Span}}, KeyValue {1: key, 2: AnyValue {1: string}}, Span
// {1: trace_id, 2: span_id, 5: name, 7, 8: fixed64 start/end ns}) and
// OTLP/JSON, plain, chunked or gzip, and broken in one way each.
const SPAN_NAMES = ['rb.span', 'GET /rb/{id}', 'rb span ü', 'rb.' + 's'.repeat(150), 'rb.span{kind="x"}'];
const SERVICES = ['rb-svc', 'rb-other', '', null];

const pbVarint = (n) => {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
};
const pbKey = (field, wire) => pbVarint((field << 3) | wire);
const pbLen = (field, bytes) => cat(pbKey(field, 2), pbVarint(B(bytes).length), bytes);
const pbStr = (field, s) => pbLen(field, U(s));
const pbFixed64 = (field, v) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return cat(pbKey(field, 1), b);
};

// Spans ending in the last two minutes; some end before they start (refused
// with partial_success: still 200).
function otlpSpans(g, { max = 6, rejects = true } = {}) {
  const now = BigInt(Date.now()) * 1000000n;
  const spans = [];
  for (let i = 0, n = g.r.range(1, max); i < n; i++) {
    const end = now - BigInt(g.r.range(0, 120000)) * 1000000n - BigInt(g.r.int(1000000));
    let dur = BigInt(g.r.pick([0, 1, 1000, 2500000, 12250000, g.r.range(0, 1e9)]));
    if (rejects && g.r.chance(0.1)) dur = -BigInt(g.r.range(1, 1000));
    spans.push({ name: g.r.pick(SPAN_NAMES), start: end - dur, end, ids: g.r.chance(0.5) ? [g.r.bytes(16), g.r.bytes(8)] : null });
  }
  return spans;
}
function otlpResources(g, o) {
  const res = [];
  for (let i = 0, n = g.r.range(1, 2); i < n; i++) res.push({ service: g.r.pick(SERVICES), spans: otlpSpans(g, o) });
  return res;
}
function otlpProto(res) {
  return cat(
    ...res.map((r) => {
      const attrs = r.service === null ? [] : [pbLen(1, cat(pbStr(1, 'service.name'), pbLen(2, pbStr(1, r.service))))];
      const spans = r.spans.map((s) =>
        pbLen(2, cat(...(s.ids ? [pbLen(1, s.ids[0]), pbLen(2, s.ids[1])] : []), pbStr(5, s.name), pbFixed64(7, s.start), pbFixed64(8, s.end))),
      );
      return pbLen(1, cat(pbLen(1, cat(...attrs)), pbLen(2, cat(...spans))));
    }),
  );
}
function otlpJson(res) {
  return JSON.stringify({
    resourceSpans: res.map((r) => ({
      resource: { attributes: r.service === null ? [] : [{ key: 'service.name', value: { stringValue: r.service } }] },
      scopeSpans: [{
        spans: r.spans.map((s) => ({
          ...(s.ids ? { traceId: s.ids[0].toString('hex'), spanId: s.ids[1].toString('hex') } : {}),
          name: s.name,
          startTimeUnixNano: String(s.start),
          endTimeUnixNano: String(s.end),
        })),
      }],
    })),
  });
}
// A valid body: [bytes, content type, json?].
function otlpBody(g, o) {
  const res = otlpResources(g, o);
  if (g.r.chance(0.35)) return [U(otlpJson(res)), g.r.pick(['application/json', 'application/json; charset=utf-8']), true];
  return [otlpProto(res), g.r.pick(['application/x-protobuf', 'application/x-protobuf', 'Application/X-Protobuf']), false];
}

// Chunked encoding with random chunk sizes, sometimes extensions, upper-case
// hex and trailers (all valid). The sizes are drawn before the body's length
// is known: a gzip body's length follows its timestamps, and the draws of a
// case must not (ROBUST_CASE replays it).
function chunkBody(g, b) {
  const parts = [];
  const ext = g.r.chance(0.2);
  const upper = g.r.chance(0.3);
  const sizes = Array.from({ length: 6 }, () => g.r.pick([1, 7, 64, 512, 4096, 65536]));
  for (let i = 0, k = 0; i < b.length; k++) {
    const n = Math.min(b.length - i, sizes[k % sizes.length]);
    const size = upper ? n.toString(16).toUpperCase() : n.toString(16);
    parts.push(cat(`${size}${ext ? ';rb=' + g.r.int(100) : ''}\r\n`, b.subarray(i, i + n), '\r\n'));
    i += n;
  }
  parts.push(g.r.chance(0.2) ? '0\r\nX-Trailer: t\r\n\r\n' : '0\r\n\r\n');
  return cat(...parts);
}

// An OTLP request. framing: 'length', 'chunked', or 'none' (neither header).
function otlpHttp(g, body, { ct = 'application/x-protobuf', ce = null, framing = 'length', target = '/v1/traces', method = 'POST', host = g.otlpHost, extra = [], version } = {}) {
  const b = B(body);
  const h = [];
  if (host !== null) h.push(['Host', host]);
  if (ct !== null) h.push(['Content-Type', ct]);
  if (ce !== null) h.push(['Content-Encoding', ce]);
  let payload = b;
  if (framing === 'length') h.push(['Content-Length', String(b.length)]);
  else if (framing === 'chunked') {
    h.push(['Transfer-Encoding', 'chunked']);
    payload = chunkBody(g, b);
  }
  return request(method, target, [...h, ...extra], payload, { version });
}

// 9 MiB of zeros: ~9 KiB of gzip, over the default --max-body (8 MiB) once
// inflated. Made once (gzip output is the same for the same input).
let bombCache = null;
const gzipBomb = () => (bombCache ??= zlib.gzipSync(Buffer.alloc(9 << 20)));

const O = (kind, bytes, o = {}) => R(kind, bytes, { method: 'POST', ...o });

const GEN_OTLP = {
  otlp_valid(g) {
    let [body, ct, json] = otlpBody(g);
    const gz = g.r.chance(0.25);
    if (gz) body = zlib.gzipSync(body);
    const close = g.r.chance(0.1);
    const framing = g.r.weighted([[3, 'length'], [2, 'chunked']]);
    const bytes = otlpHttp(g, body, { ct, ce: gz ? g.r.pick(['gzip', 'GZIP']) : g.r.chance(0.1) ? 'identity' : null, framing, extra: close ? [['Connection', 'close']] : [] });
    return O('otlp_valid', bytes, { expect: 200, keep: !close, json, pb: !json });
  },

  otlp_gzip(g) {
    const [body, ct, json] = otlpBody(g);
    const gz = zlib.gzipSync(body);
    const framing = g.r.weighted([[3, 'length'], [1, 'chunked']]);
    const v = g.r.int(8);
    const o = { json, pb: !json, keep: true };
    const send = (b, expect, ce = 'gzip') => O('otlp_gzip', otlpHttp(g, b, { ct, ce, framing }), { ...o, expect });
    if (v === 0) return send(gzipBomb(), 413);
    if (v === 1) return send(body, 400); // not gzip at all
    if (v === 2) return send(gz.subarray(0, g.r.range(1, gz.length - 1)), 400); // truncated
    if (v === 3) return send(cat(gz.subarray(0, 10), g.r.bytes(g.r.range(1, 500))), 400); // a gzip header, then garbage
    if (v === 4) {
      const b = Buffer.from(gz);
      b[g.r.range(10, b.length - 9)] ^= 1 << g.r.int(8); // one bit off: the CRC must catch it
      return send(b, null);
    }
    if (v === 5) return send(zlib.gzipSync(g.r.bytes(g.r.range(0, 3000))), null); // inflates to garbage
    if (v === 6) return send(zlib.gzipSync(gz), 400); // gzip twice
    return O('otlp_gzip', otlpHttp(g, gz, { ct, ce: g.r.pick(['x-gzip', 'deflate', 'br', 'gzip, identity', 'compress']), framing }), { expect: 415 });
  },

  otlp_bad_type(g) {
    const [body] = otlpBody(g);
    const ct = g.r.pick(['text/plain', 'application/protobuf', 'application/jsonx', '', 'application/x-protobufx', 'multipart/form-data', null]);
    return O('otlp_bad_type', otlpHttp(g, body, { ct, framing: g.r.pick(['length', 'chunked']) }), { expect: 415 });
  },

  otlp_bad_body(g) {
    const pbCt = 'application/x-protobuf';
    const v = g.r.int(8);
    const send = (b, expect, ct = pbCt) => O('otlp_bad_body', otlpHttp(g, b, { ct, framing: g.r.pick(['length', 'chunked']) }), { expect, keep: true, pb: ct === pbCt, json: ct !== pbCt });
    if (v === 0) return send(g.r.bytes(g.r.range(1, 3000)), null);
    if (v === 1) return send(Buffer.from([0x0a, 0xff, 0xff]), 400);
    if (v === 2) {
      const b = otlpProto(otlpResources(g));
      return send(b.subarray(0, g.r.range(1, b.length - 1)), null); // may end at a field boundary
    }
    if (v === 3) {
      const b = otlpProto(otlpResources(g));
      b[g.r.int(b.length)] = g.r.int(256);
      return send(b, null);
    }
    if (v === 4) {
      // lengths that lie: past the end, or near 2^64
      const len = g.r.pick([2n ** 32n, 2n ** 63n, 2n ** 64n - 1n, 1000n]);
      return send(cat(pbKey(1, 2), pbVarint(len), g.r.bytes(8)), 400);
    }
    if (v === 5) return send(cat(...Array.from({ length: g.r.range(100, 3000) }, () => Buffer.from([0x0a, 0x80, 0x01]))), null); // deep or overlong
    if (v === 6) return send(U(g.r.pick(['', '[]', 'null', '{"resourceSpans":5}', '['.repeat(g.r.range(10, 20000)), '{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":1}]}]}]}'])), null, 'application/json');
    const j = U(otlpJson(otlpResources(g)));
    j[g.r.int(j.length)] = g.r.pick([0x22, 0x5c, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x3a, 0x00, 0xff, 0x31]);
    return send(j, null, 'application/json');
  },

  otlp_bad_length(g) {
    const [body, ct, json] = otlpBody(g);
    const v = g.r.int(8);
    // a body the decoder reads is answered in its encoding; a refused head in JSON
    const o = { json: json || v > 2, pb: !json && v <= 2 };
    const hdr = (extra, expect, more = {}) => O('otlp_bad_length', otlpHttp(g, body, { ct, framing: 'none', extra }), { ...o, expect, ...more });
    if (v === 0) return hdr([], null); // no length: an empty body, then the body read as a request
    if (v === 1) return hdr([['Content-Length', String(g.r.range(0, body.length - 1))]], null);
    if (v === 2) return hdr([['Content-Length', String(body.length + g.r.range(1, 5000))]], null, { due: false });
    if (v === 3) {
      const cl = g.r.pick([8 * 1048576 + 1, 2 ** 31, 2 ** 53, '99999999999999999999999']);
      return hdr([['Content-Length', String(cl)]], typeof cl === 'number' ? 413 : [400, 413]);
    }
    if (v === 4) return hdr([['Content-Length', String(body.length)], ['Content-Length', String(body.length + 1)]], 400);
    if (v === 5) return hdr([['Content-Length', String(body.length)], ['Transfer-Encoding', 'chunked']], 400);
    if (v === 6) return hdr([['Transfer-Encoding', g.r.pick(['gzip', 'identity', 'deflate'])]], 501);
    return hdr([['Content-Length', g.r.pick(['abc', '-1', '+5', `${body.length}a`, '0x10', '1e2', '', `${body.length}, ${body.length}`])]], null);
  },

  otlp_bad_chunks(g) {
    const [body, ct] = otlpBody(g);
    const size = body.length.toString(16);
    const v = g.r.int(7);
    const head = otlpHttp(g, '', { ct, framing: 'none', extra: [['Transfer-Encoding', 'chunked']] });
    const send = (b, expect, more = {}) => O('otlp_bad_chunks', cat(head, b), { expect, ...more });
    if (v === 0) return send(cat('zz\r\n', body, '\r\n0\r\n\r\n'), 400);
    if (v === 1) return send(cat('1'.repeat(17), '\r\n', body), [400, 413]);
    if (v === 2) return send(cat(size, '\r\n', body, 'XX0\r\n\r\n'), 400); // no CRLF after the data
    if (v === 3) return send(cat(size, ';', 'e'.repeat(300), '\r\n', body, '\r\n0\r\n\r\n'), 400);
    if (v === 4) return send(cat('fffffff\r\n', body), 413);
    if (v === 5) return send(cat(size, '\r\n', body, '\r\n'), null, { due: false }); // no last chunk
    return send(cat(size, '\r\n', body, '\r\n0\r\nX-T: ', 'x'.repeat(20000), '\r\n\r\n'), 431);
  },

  otlp_route(g) {
    const [body, ct] = otlpBody(g);
    const v = g.r.weighted([
      [2, ['GET', '/v1/traces', 405]],
      [2, ['POST', '/v1/metrics', 404]],
      [1, ['POST', '/v1/traces/', 404]],
      [1, ['POST', '/v1/logs', 404]],
      [1, ['GET', '/', 404]],
      [1, ['GET', '/healthz', 404]],
      [1, ['OPTIONS', '/v1/traces', 405]],
      [1, ['PUT', '/v1/traces', 405]],
      [1, ['HEAD', '/v1/traces', 405]],
      [1, ['POST', '*', 404]],
      [1, ['POST', '/v1/traces?x=1', 200]],
    ]);
    const get = v[0] === 'GET' || v[0] === 'HEAD';
    return O('otlp_route', otlpHttp(g, get ? '' : body, { ct, method: v[0], target: v[1], framing: get ? 'none' : 'length' }), {
      method: v[0],
      expect: v[2],
      keep: v[2] === 200,
      json: v[2] !== 200,
      pb: v[2] === 200 && !/json/.test(ct),
    });
  },

  otlp_host(g) {
    const [body, ct, json] = otlpBody(g);
    const v = g.r.int(5);
    const send = (host, expect, more = {}) => O('otlp_host', otlpHttp(g, body, { ct, host, ...more }), { expect, json: json || expect !== 200, pb: !json && expect === 200, keep: expect === 200 && !more.version });
    if (v === 0) return send(g.r.pick(['evil.example', `evil.example:${g.otlpPort}`, '127.0.0.2', 'localhost.evil.example']), 421);
    if (v === 1) return send(null, 400);
    if (v === 2) return send(g.r.pick([`localhost:${g.otlpPort}`, 'LOCALHOST', '127.0.0.1', '[::1]']), 200);
    if (v === 3) return send(g.otlpHost, 400, { extra: [['Host', g.otlpHost]] });
    return send(null, 400, { version: 'HTTP/1.0' }); // Host is required whatever the version
  },

  otlp_head(g) {
    const [body, ct] = otlpBody(g);
    const v = g.r.int(9);
    const send = (o, expect, more = {}) => O('otlp_head', otlpHttp(g, body, { ct, ...o }), { expect, ...more });
    if (v === 0) return send({ extra: [['X-Big', 'v'.repeat(g.r.pick([16384, 20000, 65536]))]] }, 431);
    if (v === 1) return send({ extra: Array.from({ length: g.r.range(65, 300) }, (_, i) => [`X-H${i}`, String(i)]) }, 431);
    if (v === 2) return send({ target: '/v1/traces?' + 'q'.repeat(g.r.range(1100, 4000)) }, 414);
    if (v === 3) return send({ extra: ['X-A: 1', '  folded'] }, 400);
    if (v === 4) return send({ extra: [['X-N', 'a\x00b']] }, 400);
    if (v === 5) return send({ version: g.r.pick(['HTTP/2.0', 'HTTP/1.2', 'HTTP/9.9']) }, 505);
    if (v === 6) return send({ version: g.r.pick(['http/1.1', 'HTTP/1', 'HTTP/1.1 ', 'HTTPS/1.1']) }, [400, 505]);
    if (v === 7) return send({ method: 'P'.repeat(g.r.range(16, 100)) }, 400);
    const n = g.r.range(1, 5);
    // up to 4 empty lines are skipped (RFC 9112 2.2); a 5th is a refused head, in JSON
    const ok = n <= 4;
    return O('otlp_head', cat('\r\n'.repeat(n), otlpHttp(g, body, { ct })), { expect: ok ? 200 : 400, keep: ok, json: !ok || /json/.test(ct), pb: ok && !/json/.test(ct) });
  },

  otlp_expect(g) {
    const [body, ct, json] = otlpBody(g);
    const v = g.r.int(3);
    if (v === 0)
      return O('otlp_expect', otlpHttp(g, body, { ct, extra: [['Expect', '100-continue']], framing: g.r.pick(['length', 'chunked']) }), { expect: 200, keep: true, json, pb: !json });
    if (v === 1) return O('otlp_expect', otlpHttp(g, body, { ct: 'text/plain', extra: [['Expect', '100-continue']] }), { expect: 415 });
    return O('otlp_expect', otlpHttp(g, body, { ct, extra: [['Expect', g.r.pick(['200-ok', '100-Continue', '100-continue, x'])]] }), { json, pb: !json, keep: true });
  },

  otlp_garbage(g) {
    const v = g.r.int(4);
    if (v === 0) return O('otlp_garbage', g.r.bytes(g.r.range(1, 2000)), { due: false });
    if (v === 1) return O('otlp_garbage', B('POST /v1/traces HTTP/1.1\r\n'), { due: false }); // a head that never ends
    if (v === 2) return O('otlp_garbage', cat('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])));
    return O('otlp_garbage', cat(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), g.r.bytes(64)), { due: false });
  },

  // Many tiny requests (an empty export, or one span) in one write: each
  // answered, in order (Spider keeps what follows an answered request once).
  otlp_flood(g) {
    const n = g.r.pick([20, 100, 400]);
    const one = otlpHttp(g, g.r.chance(0.5) ? '' : otlpProto([{ service: 'rb-svc', spans: otlpSpans(g, { max: 1, rejects: false }) }]));
    return { ...O('otlp_flood', one, { expect: 200, keep: true, json: false, pb: true }), count: n };
  },
};
const OTLP_KINDS = [
  [10, 'otlp_valid'],
  [5, 'otlp_gzip'],
  [3, 'otlp_bad_type'],
  [5, 'otlp_bad_body'],
  [4, 'otlp_bad_length'],
  [4, 'otlp_bad_chunks'],
  [4, 'otlp_route'],
  [3, 'otlp_host'],
  [4, 'otlp_head'],
  [3, 'otlp_expect'],
  [2, 'otlp_garbage'],
  [1, 'otlp_flood'],
];
// Pipelined on the OTLP port: bodies behind others are fine there.
const OTLP_PIPE_KINDS = [
  [10, 'otlp_valid'],
  [3, 'otlp_gzip'],
  [2, 'otlp_bad_body'],
  [1, 'otlp_bad_type'],
  [1, 'otlp_bad_length'],
  [1, 'otlp_bad_chunks'],
  [2, 'otlp_route'],
  [2, 'otlp_expect'],
  [1, 'otlp_flood'],
];

// ---------------------------------------------------------------- StatsD
// Datagrams to the StatsD UDP port: valid lines of every type, and lines
// broken in one way (value, type, rate, tags, names, NULs, sizes), alone or
// many to a datagram, or random bytes. No answer comes: the probe after the
// case and the anchors tell whether the server kept up.
const SD_NAMES = ['rb.sd.a', 'rb.sd.b', 'rb sd', 'rb.sd/ü', 'rb.sd.' + 'x'.repeat(190), 'rb.sd.{id}', 'rb.sd.a{env="p"}', 'rb.sd.a{bad=1}', 'rb.sd.%41'];
const SD_TAGS = ['env:prod', 'route:/pay', 'flag', 'a.b:1', 'a_b:2', 'k:', ':v', 'k:v:w', '__x:1', '1st:y', 'ü:z', 'k:a"b\\c', 'k:/../x'];

function sdLine(g) {
  const name = g.r.pick(SD_NAMES);
  const num = () => String(g.r.pick([0, 1, 2.5, 12.25, 999.125, 1e3, 3e-3, g.r.range(0, 100000) / 8]));
  const tags = () => (g.r.chance(0.3) ? '|#' + Array.from({ length: g.r.range(1, 2) }, () => g.r.pick(SD_TAGS)).join(',') : '');
  const rate = () => (g.r.chance(0.2) ? '|@' + g.r.pick(['1', '0.5', '0.1', '0.75', '0.000001']) : '');
  const v = g.r.weighted([[10, 'latency'], [3, 'other'], [2, 'rate'], [2, 'value'], [2, 'type'], [2, 'tags'], [1, 'fields'], [1, 'name']]);
  const type = () => g.r.pick(['ms', 'h', 'd']);
  const vals = () => Array.from({ length: g.r.range(1, 4) }, num).join(':');
  if (v === 'latency') return `${name}:${vals()}|${type()}${rate()}${tags()}`;
  if (v === 'other')
    return g.r.pick([`${name}:1|c`, `${name}:5|g`, `${name}:-2|g`, `${name}:x|s`, '_e{5,4}:title|text', '_sc|rb.check|0', `${name}:1|c|@0.1`]);
  if (v === 'rate') return `${name}:${num()}|${type()}|@${g.r.pick(['0', '-1', 'abc', '2', '1e-9', '', 'nan', '1e400', '0.0000001', ' 0.5', '0.5x'])}`;
  if (v === 'value') return `${name}:${g.r.pick(['', 'NaN', 'inf', '-5', '1e400', '0x10', 'abc', '1.2.3', '1e', '.', '-0', '+1', '1' + '0'.repeat(400)])}|${type()}`;
  if (v === 'type') return `${name}:${num()}${g.r.pick(['', '|', '|x', '|MS', '|ms|', '||ms', '|mss', '|m s'])}`;
  if (v === 'tags') {
    const n = g.r.pick([17, 30, 200]);
    const many = Array.from({ length: n }, (_, i) => `t${i}:${i}`).join(',');
    return `${name}:${num()}|ms|#${g.r.pick([many, 'a.b:1,a_b:2', '', ',,,', 'k:' + 'v'.repeat(300), 'k'.repeat(70) + ':v', '#', 'k:v|#k2:v2'])}`;
  }
  if (v === 'fields') return `${name}:${num()}|ms${g.r.pick(['|c:abc123', '|T1700000000', '|e:x', '|card:low', '|zz:1', '|'])}${tags()}`;
  return `${g.r.pick(['', ':', 'n'.repeat(g.r.range(201, 5000)), 'a\x01b', 'a\tb', '\x7f', 'rb.sd.\u2028'])}:${num()}|ms`;
}

function sdDatagram(g) {
  const v = g.r.weighted([[8, 'lines'], [2, 'many'], [2, 'huge'], [2, 'random'], [2, 'nul'], [1, 'empty'], [1, 'crlf']]);
  const lines = (n) => Array.from({ length: n }, () => sdLine(g));
  if (v === 'lines') return U(lines(g.r.range(1, 30)).join('\n') + (g.r.chance(0.5) ? '\n' : ''));
  if (v === 'many') {
    const out = [];
    let size = 0;
    const max = g.r.pick([8000, 32000, 65000]);
    while (size < max) {
      const l = g.r.chance(0.8) ? `rb.sd.m${g.r.int(5)}:${g.r.int(100)}|ms` : sdLine(g);
      if (size + l.length + 1 > max) break;
      out.push(l);
      size += Buffer.byteLength(l) + 1;
    }
    return U(out.join('\n'));
  }
  if (v === 'huge') {
    const n = g.r.pick([10000, 40000, 65000]);
    return U(g.r.pick([`rb.sd.${'x'.repeat(n)}:1|ms`, `rb.sd.a:${'1'.repeat(n)}|ms`, `rb.sd.a:1|ms|#${'k:v,'.repeat(n >> 2)}`, `rb.sd.a:${'1:'.repeat(n >> 1)}1|ms`]));
  }
  if (v === 'random') return g.r.bytes(g.r.range(1, 2000));
  if (v === 'nul') {
    const b = U(lines(g.r.range(1, 5)).join('\n'));
    for (let i = 0, n = g.r.range(1, 4); i < n; i++) b[g.r.int(b.length)] = 0;
    return b;
  }
  if (v === 'empty') return B(g.r.pick(['', '\n', '\n\n\n', '\r\n']));
  return U(lines(g.r.range(1, 10)).join('\r\n') + '\r\n');
}

function sdDatagrams(g) {
  const burst = g.r.chance(0.15);
  const n = burst ? g.r.range(50, 200) : g.r.range(1, 8);
  const out = [];
  for (let i = 0; i < n; i++) out.push(burst && g.r.chance(0.8) ? U(`rb.sd.burst:${g.r.int(1000)}|ms\n`.repeat(g.r.range(1, 20))) : sdDatagram(g));
  return out;
}

const HTTP_KINDS = [
  [6, 'healthz'],
  [4, 'series_list'],
  [6, 'series_get'],
  [8, 'post_valid'],
  [6, 'post_bad_json'],
  [5, 'post_bad_length'],
  [3, 'post_chunked'],
  [3, 'expect_continue'],
  [4, 'bad_method'],
  [3, 'absolute_uri'],
  [4, 'bad_escape'],
  [3, 'header_folding'],
  [3, 'nul_bytes'],
  [3, 'huge_headers'],
  [3, 'bad_version'],
  [2, 'static_files'],
  [2, 'h2_preface'],
  [4, 'garbage'],
];
// Pipelines lean on well-formed requests, so that what follows is parsed too.
const PIPE_KINDS = [
  [6, 'healthz'],
  [4, 'series_list'],
  [5, 'series_get'],
  [8, 'post_valid'],
  [4, 'post_bad_json'],
  [2, 'post_bad_length'],
  [1, 'post_chunked'],
  [2, 'expect_continue'],
  [2, 'bad_method'],
  [2, 'static_files'],
  [1, 'garbage'],
  [1, 'nul_bytes'],
];

// ---------------------------------------------------------------- WebSocket
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// A client frame. mask=false, rsv, a lying length and 16/64-bit forms for
// short payloads are there to break things.
function wsFrame(g, opcode, payload = Buffer.alloc(0), o = {}) {
  const p = B(payload);
  const fin = o.fin ?? true;
  const mask = o.mask ?? true;
  const len = o.declared ?? p.length;
  const head = [(fin ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | (opcode & 15)];
  const form = o.form ?? (len < 126 ? 7 : len < 65536 ? 16 : 64);
  if (form === 7) head.push((mask ? 0x80 : 0) | len);
  else if (form === 16) head.push((mask ? 0x80 : 0) | 126, (len >> 8) & 255, len & 255);
  else {
    head.push((mask ? 0x80 : 0) | 127);
    const big = BigInt(len);
    for (let i = 7; i >= 0; i--) head.push(Number((big >> BigInt(8 * i)) & 255n));
  }
  let body = p;
  if (mask) {
    const key = g.r.bytes(4);
    head.push(...key);
    body = Buffer.from(p);
    for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  }
  return cat(Buffer.from(head), body);
}

// Messages after the upgrade: {bytes, kind, valid, close} where close is the
// code docs/protocol.md names for it (null: any close is fine).
const WS_MSGS = {
  subscribe(g) {
    const m = g.r.pick([
      '{"subscribe":"*"}',
      '{"subscribe":["rb.a","rb.b"],"window_s":60}',
      `{"subscribe":["${ANCHOR}"]}`,
      '{"subscribe":[]}',
      '{"subscribe":[],"window_s":0}',
      '{"subscribe":["rb.a"],"window_s":86400}',
    ]);
    return { kind: 'ws_subscribe', bytes: wsFrame(g, 1, U(m)), valid: true };
  },
  ping(g) {
    return { kind: 'ws_ping', bytes: wsFrame(g, g.r.pick([9, 10]), g.r.bytes(g.r.range(0, 125))), valid: true };
  },
  fragmented(g) {
    const m = U(`{"subscribe":["rb.a","rb.c"],"window_s":${g.r.range(0, 300)}}`);
    const parts = [];
    let i = 0;
    while (i < m.length) {
      const n = Math.min(m.length - i, g.r.range(1, 12));
      parts.push(wsFrame(g, i === 0 ? 1 : 0, m.subarray(i, i + n), { fin: i + n === m.length }));
      if (g.r.chance(0.2)) parts.push(wsFrame(g, 9, U('mid')));
      i += n;
    }
    return { kind: 'ws_fragmented', bytes: cat(...parts), valid: true };
  },
  close(g) {
    const v = g.r.int(3);
    const code = (c) => Buffer.from([c >> 8, c & 255]);
    if (v === 0) return { kind: 'ws_close', bytes: wsFrame(g, 8), valid: true };
    if (v === 1) return { kind: 'ws_close', bytes: wsFrame(g, 8, cat(code(1000), 'bye')), valid: true };
    const bad = g.r.pick([cat(code(1005)), cat(code(1006)), cat(code(999)), cat(code(5000)), B('\x03'), cat(code(1000), Buffer.from([0xff, 0xfe]))]);
    return { kind: 'ws_bad_close', bytes: wsFrame(g, 8, bad), valid: false };
  },
  bad_json(g) {
    const m = g.r.pick(['{"subscribe":', 'not json', '{"subscribe":"*"', '\u0000', '']);
    return { kind: 'ws_bad_json', bytes: wsFrame(g, 1, U(m)), valid: false, close: 1007 };
  },
  bad_utf8(g) {
    const m = g.r.pick([Buffer.from([0xff, 0xfe]), Buffer.from([0xc0, 0xaf]), cat('{"subscribe":["', Buffer.from([0xed, 0xa0, 0x80]), '"]}')]);
    return { kind: 'ws_bad_utf8', bytes: wsFrame(g, 1, m), valid: false, close: 1007 };
  },
  wrong_shape(g) {
    const m = g.r.pick([
      '{"foo":1}',
      '[1,2]',
      '{"subscribe":5}',
      '{"subscribe":["' + 'n'.repeat(201) + '"]}',
      '{"subscribe":' + JSON.stringify(Array.from({ length: 101 }, (_, i) => `s${i}`)) + '}',
      '{"subscribe":[],"window_s":-1}',
      '{"subscribe":[],"window_s":86401}',
      '{"subscribe":[],"window_s":1.5}',
      '"subscribe"',
      'null',
    ]);
    return { kind: 'ws_wrong_shape', bytes: wsFrame(g, 1, U(m)), valid: false, close: 1003 };
  },
  binary(g) {
    return { kind: 'ws_binary', bytes: wsFrame(g, 2, g.r.bytes(g.r.range(0, 300))), valid: false, close: 1003 };
  },
  oversized(g) {
    const n = g.r.pick([32 * 1024 + 1, 40000, 70000]);
    const m = U(`{"subscribe":["${'x'.repeat(n)}"]}`);
    if (g.r.chance(0.5)) return { kind: 'ws_oversized', bytes: wsFrame(g, 1, m), valid: false, close: 1009 };
    const parts = [];
    for (let i = 0; i < m.length; i += 8192)
      parts.push(wsFrame(g, i === 0 ? 1 : 0, m.subarray(i, i + 8192), { fin: i + 8192 >= m.length }));
    return { kind: 'ws_oversized', bytes: cat(...parts), valid: false, close: 1009 };
  },
  huge_length(g) {
    const declared = g.r.pick([2 ** 32, 2 ** 40, 2 ** 53 - 1, 65536 * 1024]);
    const b = wsFrame(g, g.r.pick([1, 2]), g.r.bytes(16), { declared, form: 64 });
    return { kind: 'ws_huge_length', bytes: b, valid: false };
  },
  unmasked(g) {
    return { kind: 'ws_unmasked', bytes: wsFrame(g, 1, U('{"subscribe":"*"}'), { mask: false }), valid: false };
  },
  bad_frame(g) {
    const v = g.r.int(7);
    let b;
    if (v === 0) b = wsFrame(g, g.r.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), g.r.bytes(5));
    else if (v === 1) b = wsFrame(g, 1, U('{"subscribe":[]}'), { rsv: g.r.range(1, 7) });
    else if (v === 2) b = wsFrame(g, 9, g.r.bytes(126)); // control frame over 125
    else if (v === 3) b = wsFrame(g, 9, U('x'), { fin: false }); // fragmented control
    else if (v === 4) b = wsFrame(g, 0, U('"orphan"')); // continuation with nothing to continue
    else if (v === 5) b = cat(wsFrame(g, 1, U('{"sub'), { fin: false }), wsFrame(g, 1, U('scribe":[]}'))); // new start mid-message
    else b = wsFrame(g, 1, U('{"subscribe":[]}'), { form: g.r.pick([16, 64]) }); // non-minimal length
    return { kind: 'ws_bad_frame', bytes: b, valid: v === 6 ? null : false };
  },
  garbage(g) {
    return { kind: 'ws_garbage', bytes: g.r.bytes(g.r.range(1, 400)), valid: false };
  },
};
const WS_KINDS = [
  [6, 'subscribe'],
  [3, 'ping'],
  [3, 'fragmented'],
  [3, 'close'],
  [3, 'bad_json'],
  [2, 'bad_utf8'],
  [3, 'wrong_shape'],
  [2, 'binary'],
  [2, 'oversized'],
  [1, 'huge_length'],
  [2, 'unmasked'],
  [3, 'bad_frame'],
  [2, 'garbage'],
];

// The upgrade request, and the status docs/protocol.md gives it (or null):
// mostly a valid one (an upgrade that works is where the frames go), else
// one thing broken.
function wsUpgrade(g) {
  let key = g.r.bytes(16).toString('base64');
  let path = '/ws';
  let origin = g.r.weighted([[3, null], [2, `http://${g.host}`], [1, `https://${g.host}`]]);
  let proto = g.r.weighted([[2, null], [3, 'spider-v1']]);
  let version = '13';
  let expect = 101;
  const broken = g.r.weighted([[14, 'none'], [2, 'path'], [3, 'origin'], [1, 'proto'], [1, 'key'], [1, 'version']]);
  if (broken === 'path') {
    path = g.r.pick(['/ws/', '/wsx', '/api/v1/series', '/WS', '/ws?x=1', '/ws%00']);
    expect = ['/ws/', '/wsx', '/api/v1/series', '/WS'].includes(path) ? 404 : null;
  } else if (broken === 'origin') {
    origin = g.r.pick(['http://evil.example', 'null', `http://${g.host}.evil.example`, `ftp://${g.host}`, `http://${g.host}/`, `http://localhost:${g.port}`, '']);
    // localhost is this server too once Host is checked; '' and a trailing / are anyone's guess
    expect = ['', `http://${g.host}/`, `http://localhost:${g.port}`].includes(origin) ? null : 403;
  } else if (broken === 'proto') {
    proto = g.r.pick(['spider-v1, chat', 'chat', 'SPIDER-V1', 'spider-v2', '']);
    expect = null;
  } else if (broken === 'key') {
    key = g.r.pick([null, 'abc', '', '!!!!!!!!!!!!!!!!!!!!!!!!']);
    expect = null;
  } else if (broken === 'version') {
    version = g.r.pick([null, '8', '14', 'x']);
    expect = null;
  }
  const h = [['Host', g.host], ['Upgrade', g.r.pick(['websocket', 'websocket', 'WebSocket'])], ['Connection', g.r.pick(['Upgrade', 'Upgrade', 'keep-alive, Upgrade'])]];
  if (key !== null) h.push(['Sec-WebSocket-Key', key]);
  if (version !== null) h.push(['Sec-WebSocket-Version', version]);
  if (proto !== null) h.push(['Sec-WebSocket-Protocol', proto]);
  if (origin !== null) h.push(['Origin', origin]);
  return { bytes: request('GET', path, h), key, proto, expect };
}

// ---------------------------------------------------------------- plans
// A connection plan: steps (send pieces with gaps, wait for an answer head,
// sleep), then an ending: read, halfclose (SHUT_WR, then read), close (FIN
// now), reset (RST now).
function splitPieces(g, data) {
  const pieces = [];
  const gaps = [];
  const mode = g.r.weighted([[5, 'one'], [3, 'few'], [1, 'many'], [1, 'bytes']]);
  let cuts = [];
  if (mode === 'few' || mode === 'many') {
    const n = mode === 'few' ? g.r.range(1, 3) : g.r.range(4, 15);
    const crlf = [];
    for (let i = 1; i < data.length; i++) if (data[i] === 0x0a || data[i - 1] === 0x0a) crlf.push(i);
    for (let i = 0; i < n; i++) cuts.push(crlf.length && g.r.chance(0.3) ? g.r.pick(crlf) : g.r.range(1, Math.max(1, data.length - 1)));
  } else if (mode === 'bytes') {
    const n = Math.min(data.length, 160); // the first bytes one by one, then the rest
    for (let i = 1; i <= n; i++) cuts.push(i);
  }
  cuts = [...new Set(cuts)].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b);
  let at = 0;
  for (const c of [...cuts, data.length]) {
    pieces.push(data.subarray(at, c));
    gaps.push(mode === 'bytes' ? g.r.int(2) : g.r.chance(0.5) ? 0 : g.r.range(1, 25));
    at = c;
  }
  return { op: 'send', pieces, gaps };
}

function ending(g, total) {
  const kind = g.r.weighted([[12, 'read'], [3, 'halfclose'], [2, 'close'], [2, 'reset']]);
  // close/reset: sometimes mid-request, sometimes after the whole case
  const after = kind === 'close' || kind === 'reset' ? (g.r.chance(0.5) ? g.r.range(0, total) : total) : total;
  return { kind, after, sleep: g.r.chance(0.5) ? g.r.range(0, 30) : 0 };
}

// port: 'main' or 'otlp'. A request with a count (otlp_flood) is that many
// requests of the same bytes.
function httpConn(g, reqs, port = 'main') {
  reqs = reqs.flatMap((r) => (r.count ? Array(r.count).fill(r) : [r]));
  const data = cat(...reqs.map((r) => r.bytes));
  return { port, reqs, steps: [splitPieces(g, data)], end: ending(g, data.length) };
}

const CASES = {
  single(g) {
    const kind = g.r.weighted(HTTP_KINDS);
    const req = GEN[kind](g);
    return { shape: kind, conns: [httpConn(g, [req])] };
  },
  pipeline(g) {
    const n = g.r.range(2, 5);
    const reqs = [];
    for (let i = 0; i < n; i++) reqs.push(GEN[g.r.weighted(PIPE_KINDS)](g));
    if (g.r.chance(0.1)) {
      const up = wsUpgrade(g);
      reqs.push({ kind: 'ws_upgrade', bytes: up.bytes, method: 'GET', expect: up.expect, due: true, keep: false, json: false });
    }
    // A request with a body pipelined behind another one may be refused with
    // 503 and a close (docs/protocol.md, Pipelining): lws 4.1.6 cannot read it.
    for (const r of reqs.slice(1)) {
      const head = r.bytes.subarray(0, Math.max(0, r.bytes.indexOf('\r\n\r\n'))).toString('latin1');
      if (/\r\n(content-length|transfer-encoding)\s*:/i.test(head)) {
        if (r.expect !== null) r.expect = [r.expect, 503].flat();
        r.keep = false;
      }
    }
    return { shape: 'pipeline', conns: [httpConn(g, reqs)] };
  },
  // The interim answer awaited before the body is sent.
  expect_wait(g) {
    const body = U(points(g));
    const ct = g.r.chance(0.8) ? 'application/json' : 'text/plain';
    const head = request('POST', '/api/v1/points', [['Host', g.host], ['Content-Type', ct], ['Content-Length', String(body.length)], ['Expect', '100-continue']]);
    const plain = ct === 'text/plain';
    const req = { kind: 'expect_continue', bytes: cat(head, body), method: 'POST', expect: plain ? 415 : 200, due: true, keep: !plain, json: true };
    const steps = [splitPieces(g, head), { op: 'wait', ms: 300 * SLOW }];
    if (g.r.chance(0.9)) steps.push(splitPieces(g, body));
    else req.due = false; // head only: the server waits for a body
    return { shape: 'expect_continue_wait', conns: [{ port: 'main', reqs: [req], steps, end: ending(g, head.length + body.length) }] };
  },
  otlp_single(g) {
    const kind = g.r.weighted(OTLP_KINDS);
    return { shape: kind, conns: [httpConn(g, [GEN_OTLP[kind](g)], 'otlp')] };
  },
  otlp_pipeline(g) {
    const reqs = [];
    for (let i = 0, n = g.r.range(2, 6); i < n; i++) reqs.push(GEN_OTLP[g.r.weighted(OTLP_PIPE_KINDS)](g));
    return { shape: 'otlp_pipeline', conns: [httpConn(g, reqs, 'otlp')] };
  },
  // The OTLP port's interim answer awaited before the body is sent.
  otlp_expect_wait(g) {
    let [body, ct, json] = otlpBody(g);
    const gz = g.r.chance(0.3);
    if (gz) body = zlib.gzipSync(body);
    const chunked = g.r.chance(0.4);
    if (chunked) body = chunkBody(g, body);
    const plain = g.r.chance(0.15);
    if (plain) ct = 'text/plain';
    const framing = chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(body.length)];
    const extra = [framing, ['Expect', '100-continue'], ...(gz ? [['Content-Encoding', 'gzip']] : [])];
    const head = otlpHttp(g, '', { ct, framing: 'none', extra });
    const req = { kind: 'otlp_expect', bytes: cat(head, body), method: 'POST', expect: plain ? 415 : 200, due: true, keep: !plain, json: plain || json, pb: !plain && !json };
    const steps = [splitPieces(g, head), { op: 'wait', ms: 300 * SLOW }];
    if (g.r.chance(0.9)) steps.push(splitPieces(g, body));
    else req.due = plain; // head only: a 415 comes at once, else the server waits for a body
    return { shape: 'otlp_expect_wait', conns: [{ port: 'otlp', reqs: [req], steps, end: ending(g, head.length + body.length) }] };
  },
  statsd(g) {
    return { shape: 'statsd', conns: [], udp: sdDatagrams(g) };
  },
  websocket(g) {
    const up = wsUpgrade(g);
    const msgs = [];
    for (let i = 0, n = g.r.range(0, 4); i < n; i++) msgs.push(WS_MSGS[g.r.weighted(WS_KINDS)](g));
    const frames = cat(...msgs.map((m) => m.bytes));
    const wait = g.r.chance(0.7);
    const steps = [splitPieces(g, up.bytes)];
    if (wait) steps.push({ op: 'wait', ms: 300 * SLOW });
    if (frames.length) steps.push(splitPieces(g, frames));
    const req = { kind: 'ws_upgrade', bytes: up.bytes, method: 'GET', expect: up.expect, due: true, keep: true, json: false };
    // The close code is checked when the one bad message is the last one and
    // no close frame of ours came before it (after that, closing is right).
    const firstBad = msgs.find((m) => m.valid !== true);
    const closedFirst = msgs.slice(0, msgs.indexOf(firstBad)).some((m) => m.kind === 'ws_close');
    const checkClose = wait && firstBad && firstBad === msgs[msgs.length - 1] && !closedFirst;
    const conn = {
      reqs: [req],
      steps,
      end: ending(g, up.bytes.length + frames.length),
      ws: { key: up.key, proto: up.proto, msgs, expectClose: checkClose ? (firstBad.close ?? null) : null, allValid: !firstBad },
    };
    return { shape: up.expect === 101 ? 'websocket' : 'ws_refused', conns: [conn], wsKinds: msgs.map((m) => m.kind) };
  },
  concurrent(g) {
    const n = g.r.range(2, MAX_CONCURRENT);
    const conns = [];
    const sub = [];
    for (let i = 0; i < n; i++) {
      const c = g.r.weighted([[4, 'single'], [2, 'pipeline'], [3, 'websocket'], [3, 'otlp_single'], [2, 'otlp_pipeline']]);
      const one = CASES[c](g);
      conns.push(one.conns[0]);
      sub.push(one.shape);
    }
    // StatsD datagrams at the same time, now and then
    const udp = g.r.chance(0.3) ? sdDatagrams(g) : [];
    if (udp.length) sub.push('statsd');
    return { shape: 'concurrent', conns, sub, udp };
  },
};
const CASE_KINDS = [
  [30, 'single'],
  [15, 'pipeline'],
  [4, 'expect_wait'],
  [15, 'websocket'],
  [15, 'otlp_single'],
  [7, 'otlp_pipeline'],
  [3, 'otlp_expect_wait'],
  [8, 'statsd'],
  [6, 'concurrent'],
];

// ports: {main, otlp} of the server (what Host names; bytes do not depend
// on anything else).
function makeCase(seed, k, ports) {
  const r = caseRng(seed, k);
  const g = { r, port: ports.main, host: `127.0.0.1:${ports.main}`, otlpPort: ports.otlp, otlpHost: `127.0.0.1:${ports.otlp}` };
  const c = CASES[r.weighted(CASE_KINDS)](g);
  c.udp ??= [];
  c.k = k;
  return c;
}

// ---------------------------------------------------------------- answers
// Splits what the server sent into HTTP answers (then WebSocket frames after
// a 101). methods[i] tells whether final answer i is to a HEAD.
function parseAnswers(buf, methods, closed) {
  const answers = [];
  const frames = [];
  let off = 0;
  let upgraded = false;
  let garbage = null;
  let finals = 0;
  while (off < buf.length) {
    if (upgraded) {
      if (buf.length - off < 2) break;
      const b0 = buf[off];
      let len = buf[off + 1] & 127;
      let p = off + 2;
      if (len === 126) {
        if (buf.length - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        p = off + 4;
      } else if (len === 127) {
        if (buf.length - off < 10) break;
        len = Number(buf.readBigUInt64BE(off + 2));
        p = off + 10;
      }
      if (buf[off + 1] & 0x80) p += 4; // a server must not mask, but parse anyway
      if (buf.length < p + len) break;
      frames.push({ opcode: b0 & 15, fin: !!(b0 & 0x80), payload: buf.subarray(p, p + len) });
      off = p + len;
      continue;
    }
    const end = buf.indexOf('\r\n\r\n', off);
    if (end < 0) {
      // an answer's head still arriving, or bytes that are no answer at all
      if (!'HTTP/1.'.startsWith(buf.subarray(off, off + 7).toString('latin1'))) garbage = buf.subarray(off);
      break;
    }
    const head = buf.subarray(off, end).toString('latin1');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m) {
      garbage = buf.subarray(off);
      break;
    }
    const status = Number(m[1]);
    const headers = {};
    for (const l of head.split('\r\n').slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const a = { status, headers, head, body: Buffer.alloc(0), complete: true, interim: status >= 100 && status < 200 && status !== 101 };
    let p = end + 4;
    if (status === 101) {
      upgraded = true;
    } else if (a.interim || status === 204 || status === 304) {
      // no body
    } else if (methods[finals] === 'HEAD') {
      // no body either; but if what follows is not an answer and is as long
      // as Content-Length says, the server sent one (a protocol error)
      const len = Number(headers['content-length'] ?? 0);
      const next = buf.subarray(p, p + 7).toString('latin1');
      if (len > 0 && buf.length >= p + len && next.length && !'HTTP/1.'.startsWith(next) && next !== 'HTTP/1.') {
        a.headBody = buf.subarray(p, p + len);
        p += len;
      }
    } else if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (buf.length < p + len) {
        a.complete = false;
        a.body = buf.subarray(p);
        p = buf.length;
      } else {
        a.body = buf.subarray(p, p + len);
        p += len;
      }
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts = [];
      for (;;) {
        const le = buf.indexOf('\r\n', p);
        if (le < 0) {
          a.complete = false;
          break;
        }
        const n = parseInt(buf.subarray(p, le).toString('latin1'), 16);
        if (!Number.isFinite(n) || buf.length < le + 2 + n + 2) {
          a.complete = false;
          break;
        }
        parts.push(buf.subarray(le + 2, le + 2 + n));
        p = le + 2 + n + 2;
        if (n === 0) break;
      }
      a.body = Buffer.concat(parts);
      if (!a.complete) p = buf.length;
    } else {
      a.body = buf.subarray(p);
      a.complete = closed;
      p = buf.length;
    }
    if (!a.interim) finals++;
    answers.push(a);
    off = p;
  }
  return { answers, finals: answers.filter((a) => !a.interim && a.complete), frames, garbage };
}

// ---------------------------------------------------------------- sockets
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Conn {
  constructor(port) {
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.error = null;
    this.last = Date.now();
    this.waiters = [];
    this.sock = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    this.sock.setNoDelay(true);
    this.sock.on('data', (d) => {
      if (this.buf.length < 8 * 1048576) this.buf = Buffer.concat([this.buf, d]);
      this.last = Date.now();
      this.wake();
    });
    this.sock.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.sock.on('error', (e) => {
      this.error = e.code || String(e);
    });
  }
  connected(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.sock.once('connect', () => {
        clearTimeout(t);
        resolve(true);
      });
      this.sock.once('close', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
  }
  wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  until(ms) {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        r();
      });
    });
  }
  write(data, deadline) {
    if (this.closed || this.ended || this.sock.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), Math.max(1, deadline - Date.now()));
      this.sock.write(data, (err) => {
        clearTimeout(t);
        this.last = Date.now();
        resolve(!err);
      });
    });
  }
  destroy() {
    if (!this.sock.destroyed) this.sock.destroy();
  }
  reset() {
    if (!this.sock.destroyed) {
      try {
        this.sock.resetAndDestroy();
      } catch {
        this.sock.destroy();
      }
    }
  }
}

// One whole request on a fresh connection; resolves {status, json, ms} or {error, ms}.
async function oneRequest(port, bytes, timeoutMs) {
  const t0 = performance.now();
  const c = new Conn(port);
  const deadline = Date.now() + timeoutMs;
  try {
    if (!(await c.connected(timeoutMs))) return { error: `connect failed (${c.error ?? 'timeout'})`, ms: performance.now() - t0 };
    await c.write(bytes, deadline);
    for (;;) {
      const { finals } = parseAnswers(c.buf, ['GET'], c.closed);
      if (finals.length) {
        const a = finals[0];
        let json;
        try {
          json = JSON.parse(a.body.toString('utf8'));
        } catch {}
        return { status: a.status, json, body: a.body, ms: performance.now() - t0 };
      }
      if (c.closed) return { error: `closed without an answer (${c.buf.length} bytes: ${esc(c.buf, 200)})`, ms: performance.now() - t0 };
      if (Date.now() >= deadline) return { error: `no answer within ${timeoutMs} ms (${c.buf.length} bytes: ${esc(c.buf, 200)})`, ms: performance.now() - t0 };
      await c.until(Math.max(1, deadline - Date.now()));
    }
  } finally {
    c.destroy();
  }
}

// ---------------------------------------------------------------- server
class Server {
  async start() {
    const args = ['--listen', '127.0.0.1:0', '--statsd-listen', '127.0.0.1:0', '--otlp-listen', '127.0.0.1:0'];
    if (SECONDS > 1200) args.push('--window', '24h'); // the anchor must stay in the window
    this.log = '';
    this.scanned = 0;
    this.exit = null;
    this.proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr.on('data', (d) => {
      this.log += d;
      if (this.log.length > 4 * 1048576) {
        // keep the head (startup) and the tail; scan what is dropped first
        this.scan();
        this.log = this.log.slice(0, 65536) + '\n[...]\n' + this.log.slice(-1048576);
        this.scanned = 0;
      }
    });
    this.proc.on('exit', (code, signal) => (this.exit = { code, signal }));
    const t0 = Date.now();
    while (Date.now() - t0 < 10000 * SLOW) {
      const m = this.log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      const otlp = this.log.match(/OTLP\/HTTP receiver at http:\/\/127\.0\.0\.1:(\d+)\//);
      const udp = this.log.match(/statsd listening on udp:\/\/127\.0\.0\.1:(\d+)/);
      if (m && otlp && udp) {
        this.otlpPort = Number(otlp[1]);
        this.statsdPort = Number(udp[1]);
        this.ports = { main: Number(m[1]), otlp: this.otlpPort };
        return (this.port = Number(m[1]));
      }
      if (this.exit) break;
      await sleep(20);
    }
    throw new Error(`spider did not start: ${this.log}`);
  }
  // A sanitizer report anywhere in stderr since the last scan.
  scan() {
    const from = Math.max(0, this.scanned - 200); // a report may straddle two reads
    const m = SAN_RE.exec(this.log.slice(from));
    this.scanned = this.log.length;
    if (m && !this.sanitizer) this.sanitizer = this.log.slice(Math.max(0, from + m.index - 500));
    return m ? m[0] : null;
  }
  cpuSeconds() {
    try {
      const f = fs.readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in ticks of 10 ms
    } catch {
      return NaN;
    }
  }
  async stop(graceMs) {
    if (this.exit) return this.exit;
    this.proc.kill('SIGTERM');
    const t0 = Date.now();
    while (!this.exit && Date.now() - t0 < graceMs) await sleep(20);
    if (!this.exit) {
      this.proc.kill('SIGKILL');
      while (!this.exit) await sleep(20);
      return { ...this.exit, killed: true };
    }
    return this.exit;
  }
  kill() {
    if (!this.exit) this.proc.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- the run
const stats = { cases: 0, passed: 0, failed: 0, shapes: {}, requests: {}, ws: {}, endings: {}, datagrams: 0, datagramBytes: 0, udpFailed: 0, probeMax: 0, probes: [] };
const observations = new Map(); // kind (request) -> {count, example}
let pending = []; // this case's observations, kept if the case passes
const failures = [];
const inc = (o, k) => (o[k] = (o[k] ?? 0) + 1);

// Grouped by what was seen and the request it answers (or the connection's
// requests), with the first case as the example.
function observe(kind, about, c, conn, detail) {
  pending.push([kind, about, c, conn, detail]);
}
function keepObservations() {
  for (const [kind, about, c, conn, detail] of pending) note(kind, about, c, conn, detail);
  pending = [];
}
function note(kind, about, c, conn, detail) {
  const key = `${kind} (${about ?? conn.reqs.map((r) => r.kind).join('+')})`;
  const o = observations.get(key);
  if (o) o.count++;
  else {
    const none = Buffer.alloc(0);
    observations.set(key, { count: 1, k: c.k, detail, sent: conn.sent ?? none, got: conn.got ?? none, end: conn.end.kind });
  }
}

function describeCase(c) {
  const lines = [];
  c.conns.forEach((conn, i) => {
    const sends = conn.steps.filter((s) => s.op === 'send');
    const all = cat(...sends.flatMap((s) => s.pieces));
    const plan = conn.steps
      .map((s) => (s.op === 'send' ? `send ${s.pieces.map((p, j) => `${p.length}B${s.gaps[j] ? `+${s.gaps[j]}ms` : ''}`).join(' ')}` : `${s.op} ${s.ms}ms`))
      .join('; ');
    lines.push(`  connection ${i + 1} (${conn.port} port): ${conn.reqs.map((r) => r.kind).join(' + ')}${conn.ws ? ' then ' + (conn.ws.msgs.map((m) => m.kind).join(', ') || 'no frames') : ''}`);
    lines.push(`    plan: ${plan}; end ${conn.end.kind}${conn.end.after < all.length ? ` after ${conn.end.after} bytes` : ''}${conn.end.sleep ? ` (+${conn.end.sleep}ms)` : ''}`);
    lines.push(`    bytes (${all.length}): ${esc(all)}`);
    if (all.length <= 4096) lines.push(`    base64: ${all.toString('base64')}`);
    if (conn.got?.length) lines.push(`    server sent (${conn.got.length}): ${esc(conn.got, 1500)}`);
  });
  if (c.udp.length) {
    lines.push(`  statsd: ${c.udp.length} datagrams, ${c.udp.reduce((n, d) => n + d.length, 0)} bytes`);
    c.udp.slice(0, 8).forEach((d, i) => lines.push(`    datagram ${i + 1} (${d.length}): ${esc(d, 600)}`));
    if (c.udp.length > 8) lines.push(`    ... ${c.udp.length - 8} more`);
  }
  return lines.join('\n');
}

async function runConn(server, c, conn, caseDeadline) {
  const s = new Conn(conn.port === 'otlp' ? server.otlpPort : server.port);
  conn.sent = Buffer.alloc(0);
  try {
    if (!(await s.connected(Math.min(1000 * SLOW, caseDeadline - Date.now())))) {
      conn.connectFailed = s.error ?? 'timeout';
      return;
    }
    let sent = 0;
    let stop = false;
    const limit = conn.end.after;
    for (const step of conn.steps) {
      if (stop) break;
      if (step.op === 'send') {
        for (let i = 0; i < step.pieces.length && !stop; i++) {
          let p = step.pieces[i];
          if (sent + p.length > limit) {
            p = p.subarray(0, limit - sent);
            stop = true;
          }
          if (p.length) {
            if (!(await s.write(p, caseDeadline))) {
              stop = true;
              conn.writeFailed = true;
              break;
            }
            sent += p.length;
            conn.sent = Buffer.concat([conn.sent, p]);
          }
          if (step.gaps[i]) await sleep(step.gaps[i]);
        }
      } else if (step.op === 'wait') {
        const until = Math.min(caseDeadline, Date.now() + step.ms);
        while (!s.closed && s.buf.indexOf('\r\n\r\n') < 0 && Date.now() < until) await s.until(until - Date.now());
      }
      if (Date.now() >= caseDeadline) stop = true;
    }
    conn.fullySent = sent === cat(...conn.steps.filter((x) => x.op === 'send').flatMap((x) => x.pieces)).length;
    if (conn.end.sleep) await sleep(conn.end.sleep);
    const kind = conn.end.kind;
    if (kind === 'reset') return s.reset();
    if (kind === 'close') return s.destroy();
    if (kind === 'halfclose') s.sock.end();
    // Read until the server closes, has answered all that is due, has been
    // silent for IDLE_MS, or the case's time is up.
    const methods = conn.reqs.map((r) => r.method);
    const due = dueCount(conn);
    for (;;) {
      if (s.closed || s.ended) break;
      const { finals } = parseAnswers(s.buf, methods, false);
      if (!conn.ws && due > 0 && finals.length >= due && finals.length >= conn.reqs.length) break;
      const now = Date.now();
      if (now - s.last >= IDLE_MS || now >= caseDeadline) break;
      await s.until(Math.min(IDLE_MS - (now - s.last), caseDeadline - now) + 1);
    }
    conn.closedByServer = s.closed || s.ended;
  } finally {
    conn.got = s.buf;
    s.destroy();
  }
}

// How many pipelined requests must get an answer: the leading well-formed
// ones, up to and including the first whose answer may close.
function dueCount(conn) {
  let n = 0;
  for (const r of conn.reqs) {
    if (!r.due) break;
    n++;
    if (!r.keep) break;
  }
  return n;
}

// Protocol observations (not failures) about what one connection got.
function check(c, conn) {
  if (conn.connectFailed) return observe('connect failed', null, c, conn, conn.connectFailed);
  const read = conn.end.kind === 'read' || conn.end.kind === 'halfclose';
  const { answers, finals, frames, garbage } = parseAnswers(conn.got, conn.reqs.map((r) => r.method), true);
  if (garbage) observe('bytes that are not an HTTP answer', null, c, conn, esc(garbage, 300));
  const due = dueCount(conn);
  finals.forEach((a, i) => {
    const r = conn.reqs[i];
    const ct = a.headers['content-type'] ?? '';
    // An OTLP protobuf upload is answered in protobuf when it was read
    // (200, and 400 for a body that does not decode; 413 for a gzip bomb is JSON).
    if (r?.pb && (a.status === 200 || a.status === 400)) {
      if (i < due && !/^application\/x-protobuf/.test(ct)) observe(`${a.status} to a protobuf upload that is not protobuf`, r.kind, c, conn, a.head.split('\r\n').find((l) => /^content-type/i.test(l)) ?? 'no Content-Type');
    } else if (a.status >= 400 || (r && r.json && a.status !== 101 && a.status !== 304 && r.method !== 'HEAD')) {
      let ok = /application\/json/.test(ct);
      if (ok && a.body.length) {
        try {
          const j = JSON.parse(a.body.toString('utf8'));
          if (a.status >= 400 && typeof j?.error !== 'string') ok = false;
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        const what = `${a.status} ${a.status >= 400 ? 'refusal' : 'answer'} that is not JSON`;
        const text = `${esc(Buffer.from(a.head + '\r\n\r\n', 'latin1'), 400)}${esc(a.body, 300)}`;
        observe(what, i < due ? r?.kind : 'a later pipelined request', c, conn, text);
      }
    }
    if (a.headBody)
      observe('answer to HEAD carries a body', r?.kind, c, conn, `${a.head.split('\r\n')[0]} then ${esc(a.headBody, 200)}`);
    if (/root:.*:0:0:/.test(a.body.toString('latin1'))) {
      conn.fatal = `served /etc/passwd: ${esc(a.body, 200)}`;
    }
    if (r && i < due && r.expect !== null && ![r.expect].flat().includes(a.status) && conn.fullySent)
      observe(`${a.status} where ${[r.expect].flat().join(' or ')} is due`, r.kind, c, conn, a.head.split('\r\n')[0]);
    if (a.status === 101 && conn.ws) {
      const want = crypto.createHash('sha1').update(conn.ws.key + WS_GUID).digest('base64');
      if (a.headers['sec-websocket-accept'] !== want) observe('bad Sec-WebSocket-Accept', r?.kind, c, conn, a.head);
      if (conn.ws.proto === 'spider-v1' && a.headers['sec-websocket-protocol'] !== 'spider-v1')
        observe('subprotocol not echoed', r?.kind, c, conn, a.head);
    }
  });
  if (read && conn.fullySent && due > 0) {
    const closing = finals.some((a) => /close/i.test(a.headers.connection ?? '') || a.status >= 400);
    if (finals.length < due && !closing && !conn.writeFailed) {
      const what = finals.length === 0 ? 'no answer' : `${finals.length} of ${due} answers`;
      const r = conn.reqs[finals.length];
      const then = conn.closedByServer ? 'closed by the server' : `silent for ${IDLE_MS} ms`;
      const about = finals.length ? `after ${conn.reqs[finals.length - 1].kind}: ${r.kind}` : r.kind;
      const got = answers.map((a) => a.status + (a.complete ? '' : ' (head only)')).join(', ');
      observe(`${what}, then ${then}`, about, c, conn, `got ${got || 'nothing'}`);
    }
  }
  // WebSocket: only when we kept our side open (after a half-close the
  // server may rightly close without a close frame or a hello).
  if (conn.ws && finals[0]?.status === 101 && conn.end.kind === 'read') {
    const hello = frames[0];
    const ours = conn.ws.msgs.some((m) => m.kind === 'ws_close');
    if (conn.ws.allValid && !ours && (!hello || hello.opcode !== 1 || !/"type":"hello"/.test(hello.payload.toString('utf8'))))
      observe('no hello after 101', 'websocket', c, conn, hello ? esc(hello.payload, 200) : 'no frame');
    const cl = frames.find((f) => f.opcode === 8);
    if (conn.ws.allValid && !ours && cl && conn.fullySent)
      observe('WebSocket closed by the server after valid frames only', conn.ws.msgs.map((m) => m.kind).join(', '), c, conn,
        esc(cl.payload, 200));
    if (conn.ws.expectClose && conn.fullySent) {
      const cl = frames.find((f) => f.opcode === 8);
      const code = cl && cl.payload.length >= 2 ? cl.payload.readUInt16BE(0) : null;
      if (code !== conn.ws.expectClose) {
        const what = `WebSocket close ${code ?? (cl ? 'without code' : 'missing')} where ${conn.ws.expectClose} is due`;
        const opcodes = frames.map((f) => f.opcode).join(',') || 'none';
        const text = cl ? esc(cl.payload, 200) : `server frames (opcodes): ${opcodes}${conn.closedByServer ? ', then closed' : ''}`;
        observe(what, conn.ws.msgs[conn.ws.msgs.length - 1].kind, c, conn, text);
      }
    }
  }
}

async function probe(server) {
  const r = await oneRequest(server.port, B(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`), PROBE_MS);
  if (!r.error) {
    // the latency of answered probes: what the bound must leave room for
    stats.probeMax = Math.max(stats.probeMax, r.ms);
    if (stats.probes.length < 200000) stats.probes.push(r.ms);
  }
  if (r.error) return `GET /healthz on a fresh connection: ${r.error}`;
  if (r.status !== 200 || r.json?.status !== 'ok') return `GET /healthz answered ${r.status}: ${esc(r.body, 300)}`;
  return null;
}

async function anchorCount(server, name = ANCHOR) {
  const r = await oneRequest(server.port, B(`GET /api/v1/series/${encodeURIComponent(name)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`), 2000 * SLOW);
  if (r.error) return { error: r.error };
  if (r.status !== 200 || typeof r.json?.summary?.count !== 'number') return { error: `answered ${r.status}: ${esc(r.body, 300)}` };
  return { count: r.json.summary.count };
}

// The anchors' counts against what was posted: null, or what is wrong.
async function anchorsWrong(server) {
  const got = await Promise.all(ANCHORS.map((a) => anchorCount(server, a.name)));
  for (let i = 0; i < ANCHORS.length; i++) {
    const { name, n } = ANCHORS[i];
    if (got[i].error) return `GET /api/v1/series/${name}: ${got[i].error}`;
    if (got[i].count !== n) return `lost samples: ${name} reports ${got[i].count} samples, ${n} were posted`;
  }
  return null;
}

async function postAnchor(server) {
  const now = Date.now();
  const rng = caseRng(SEED, -1);
  const samples = [];
  for (let i = 0; i < ANCHOR_N; i++) samples.push([now - 60000 + i * 97, rng.range(0, 100000) / 16]);
  const body = U(JSON.stringify({ [ANCHOR]: samples }));
  const r = await oneRequest(
    server.port,
    cat(`POST /api/v1/points HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, body),
    5000 * SLOW,
  );
  if (r.error || r.status !== 200 || r.json?.accepted !== ANCHOR_N) throw new Error(`posting the anchor failed: ${r.error ?? `${r.status} ${esc(r.body, 300)}`}`);
  // The OTLP anchor: spans in protobuf on the OTLP port, chunked.
  const nowNs = BigInt(now) * 1000000n;
  const spans = [];
  for (let i = 0; i < OTLP_ANCHOR_N; i++) {
    const end = nowNs - 60000000000n + BigInt(i) * 97000000n;
    spans.push({ name: OTLP_ANCHOR_SPAN, start: end - BigInt(rng.range(1, 100000)) * 1000n, end, ids: null });
  }
  const pb = otlpProto([{ service: OTLP_ANCHOR_SERVICE, spans }]);
  const o = await oneRequest(
    server.otlpPort,
    cat(`POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:${server.otlpPort}\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      pb.length.toString(16), '\r\n', pb, '\r\n0\r\n\r\n'),
    5000 * SLOW,
  );
  if (o.error || o.status !== 200 || o.body.length !== 0) throw new Error(`posting the OTLP anchor failed: ${o.error ?? `${o.status} ${esc(o.body, 300)}`}`);
  // The StatsD anchor: datagrams of packed values, sent while nothing else
  // is (the kernel buffer cannot overflow).
  const sock = dgram.createSocket('udp4');
  try {
    for (let sent = 0; sent < STATSD_ANCHOR_N;) {
      const lines = [];
      for (let l = 0; l < 10 && sent < STATSD_ANCHOR_N; l++) {
        const vals = [];
        for (let v = 0; v < 5 && sent < STATSD_ANCHOR_N; v++, sent++) vals.push(rng.range(0, 100000) / 16);
        lines.push(`${STATSD_ANCHOR}:${vals.join(':')}|ms`);
      }
      await new Promise((resolve, reject) => sock.send(U(lines.join('\n')), server.statsdPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    }
  } finally {
    sock.close();
  }
  // UDP has no answer: wait until the datagrams are read.
  let wrong = null;
  for (const until = Date.now() + 5000 * SLOW; Date.now() < until; await sleep(20)) if (!(wrong = await anchorsWrong(server))) break;
  if (wrong) throw new Error(`the anchors do not read back: ${wrong}`);
}

// Sends a case's StatsD datagrams one after another (one the kernel refuses
// to send is counted, not a failure).
async function sendUdp(server, c) {
  if (!c.udp.length) return;
  const sock = dgram.createSocket('udp4');
  sock.on('error', () => {});
  try {
    for (const d of c.udp) {
      const ok = await new Promise((resolve) => sock.send(d, server.statsdPort, '127.0.0.1', (e) => resolve(!e)));
      if (!ok) stats.udpFailed++;
    }
  } finally {
    sock.close();
  }
}

// What the server says it read of the OTLP port and StatsD (so a run shows
// that its datagrams and requests got past the sockets).
async function serverCounts(server) {
  const r = await oneRequest(server.port, B(`GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`), 2000 * SLOW);
  if (r.error) return `(GET /metrics: ${r.error})`;
  const text = r.body.toString('utf8');
  const sum = (re) => text.split('\n').filter((l) => re.test(l)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  return [
    `statsd datagrams=${sum(/^spider_statsd_datagrams_total /)} lines=${sum(/^spider_statsd_lines_total /)}`,
    `statsd lines rejected=${sum(/^spider_samples_rejected_total\{protocol="statsd"/)}`,
    `otlp requests decoded=${sum(/^spider_otlp_requests_total /)} pipelined bytes=${sum(/^spider_otlp_pipelined_bytes_total /)}`,
    `otlp spans accepted=${sum(/^spider_samples_accepted_total\{protocol="otlp"/)} rejected=${sum(/^spider_samples_rejected_total\{protocol="otlp"/)}`,
    `http refused=${sum(/^spider_http_refused_total\{/)}`,
  ].join(', ');
}

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);

async function fail(server, c, why) {
  stats.failed++;
  const cpu0 = server.cpuSeconds();
  await sleep(500);
  const cpu = server.exit ? 'exited' : `${Math.round(((server.cpuSeconds() - cpu0) / 0.5) * 100)}% CPU over the last 0.5 s`;
  const lines = [
    `FAIL case ${c ? c.k : '-'} (${c ? c.shape : 'setup'}) at ${secs()} s: ${why}`,
    `  seed ${SEED}; replay: ROBUST_SEED=${SEED}${c ? ` ROBUST_CASE=${c.k}` : ''} SPIDER_BIN=${BIN} node ${process.argv[1]}`,
    `  server: ${server.exit ? `exited ${server.exit.code ?? server.exit.signal}` : cpu}`,
  ];
  if (c) lines.push(describeCase(c));
  if (server.sanitizer) lines.push(`  sanitizer report:\n${server.sanitizer.slice(0, 8000)}`);
  else if (server.exit) lines.push(`  server stderr (tail):\n${server.log.slice(-4000)}`);
  console.log(lines.join('\n'));
  failures.push({ k: c?.k, why, at: secs() });
}

// Failures that mean the server is broken: crash, sanitizer, hang, lost samples.
async function verify(server, c, withAnchor) {
  const died = async () => {
    if (server.exit) await sleep(100); // the rest of its stderr
    if (server.scan() || server.sanitizer) return "sanitizer report on the server's stderr";
    if (server.exit) return `the server exited (${server.exit.code ?? server.exit.signal})`;
    return null;
  };
  let why = await died();
  if (why) return why;
  for (const conn of c ? c.conns : []) if (conn.fatal) return conn.fatal;
  const p = await probe(server);
  if (p) {
    await sleep(50); // a crash in progress shows as an exit, not a hang
    return (await died()) ?? `liveness: ${p}`;
  }
  if (withAnchor) {
    const wrong = await anchorsWrong(server);
    if (wrong) return wrong;
  }
  return null;
}

async function main() {
  console.log(`robustness: seed ${SEED} (replay with ROBUST_SEED=${SEED}), ${ONLY_CASE !== null ? `case ${ONLY_CASE} only` : `${SECONDS} s`}, ` +
    `probe bound ${PROBE_MS} ms, idle ${IDLE_MS} ms${SANITIZED ? ', sanitized build' : ''}`);
  let server = new Server();
  const killAll = () => server.kill();
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });
  await server.start();
  await postAnchor(server);
  const endAt = t0 + SECONDS * 1000;
  let k = ONLY_CASE ?? 0;
  const lastK = ONLY_CASE ?? MAX_CASES - 1;
  let sinceAnchor = 0;
  while (k <= lastK && (ONLY_CASE !== null || Date.now() < endAt) && stats.failed < MAX_FAILURES) {
    const c = makeCase(SEED, k, server.ports);
    stats.cases++;
    inc(stats.shapes, c.shape);
    for (const conn of c.conns) {
      for (const r of conn.reqs) inc(stats.requests, r.kind);
      for (const m of conn.ws?.msgs ?? []) inc(stats.ws, m.kind);
      inc(stats.endings, conn.end.kind);
    }
    if (c.udp.length) {
      stats.datagrams += c.udp.length;
      stats.datagramBytes += c.udp.reduce((n, d) => n + d.length, 0);
    }
    const deadline = Date.now() + CASE_MS;
    await Promise.all([...c.conns.map((conn) => runConn(server, c, conn, deadline)), sendUdp(server, c)]);
    if (VERBOSE) console.log(`case ${k} ${c.shape}${c.sub ? ` (${c.sub.join(', ')})` : ''}\n${describeCase(c)}`);
    for (const conn of c.conns) check(c, conn);
    sinceAnchor++;
    const withAnchor = sinceAnchor >= ANCHOR_EVERY || k === lastK || Date.now() >= endAt;
    if (withAnchor) sinceAnchor = 0;
    const why = await verify(server, c, withAnchor);
    if (why) {
      await fail(server, c, why);
      await server.stop(0);
      if (stats.failed < MAX_FAILURES && k < lastK) {
        server = new Server();
        await server.start();
        await postAnchor(server);
        console.log(`  (server restarted on port ${server.port}; continuing)`);
      }
    } else {
      stats.passed++;
      keepObservations();
    }
    pending = [];
    k++;
  }
  // The end: the anchor once more, then a clean exit on SIGTERM.
  let counted = '';
  if (!server.exit) {
    const why = await verify(server, null, true);
    if (why) await fail(server, null, `final check: ${why}`);
    counted = await serverCounts(server);
    const grace = 5000 * SLOW; // it serves requests under way for at most 3 s
    const ex = await server.stop(grace);
    server.scan();
    if (server.sanitizer) await fail(server, null, "sanitizer report on the server's stderr at exit");
    else if (ex.killed || ex.code !== 0)
      await fail(server, null, `on SIGTERM the server ${ex.killed ? `did not exit within ${grace / 1000} s` : `exited ${ex.code ?? ex.signal}`}`);
  }

  const fmt = (o) => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k2, v]) => `${k2}=${v}`).join(' ');
  const sorted = stats.probes.sort((a, b) => a - b);
  const pct = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1) : '-');
  console.log(`\n${stats.cases} cases in ${secs()} s (seed ${SEED})`);
  console.log(`shapes: ${fmt(stats.shapes)}`);
  console.log(`requests: ${fmt(stats.requests)}`);
  console.log(`ws messages: ${fmt(stats.ws)}`);
  console.log(`endings: ${fmt(stats.endings)}`);
  console.log(`statsd: ${stats.datagrams} datagrams, ${stats.datagramBytes} bytes${stats.udpFailed ? `, ${stats.udpFailed} not sent` : ''}`);
  if (counted) console.log(`the server counted (this run's last server): ${counted}`);
  console.log(`probes answered: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${stats.probeMax.toFixed(1)} ms (bound ${PROBE_MS} ms)`);
  if (observations.size) {
    console.log(`observations (answers that differ from docs/protocol.md; not failures):`);
    for (const [key, o] of [...observations].sort((a, b) => b[1].count - a[1].count)) {
      console.log(`  ${o.count}x ${key}: ${o.detail}`);
      console.log(`     e.g. case ${o.k}, end ${o.end}, sent ${esc(o.sent, 600)}`);
      if (o.got.length) console.log(`     got ${esc(o.got, 400)}`);
    }
  }
  if (failures.length) console.log(`failures: ${failures.map((f) => `case ${f.k ?? '-'} at ${f.at} s: ${f.why}`).join('\n          ')}`);
  console.log(`${stats.passed} passed, ${stats.failed} failed`);
  process.exitCode = stats.failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`robustness: ${e.stack ?? e}`);
  console.log(`${stats.passed} passed, ${stats.failed + 1} failed`);
  process.exit(1);
});
