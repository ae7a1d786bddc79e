// RSS under hostile posting patterns: the store's budget must hold the whole
// process within --memory-limit + 32 MiB, whatever is posted.
// Usage: node bench/rss.mjs path/to/spider [memory-limit, default 256MiB]
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [bin, limit = '256MiB'] = process.argv.slice(2);
const limitMiB = Number(limit.replace(/MiB$/, ''));
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

// The same start-up the integration tests use (SPIDER_BIN names the binary).
process.env.SPIDER_BIN = bin;
const { startSpider } = await import('../tests/integration/helpers.mjs');
async function start() {
  const s = await startSpider(['--memory-limit', limit]);
  return Object.assign(s.proc, { port: s.port });
}

function post(port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path: '/api/v1/points', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let t = '';
      res.on('data', (d) => (t += d));
      res.on('end', () => resolve(JSON.parse(t)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function rss(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: Number(s.match(/VmRSS:\s+(\d+)/)[1]) / 1024, peak: Number(s.match(/VmHWM:\s+(\d+)/)[1]) / 1024 };
}

async function metric(port, name) {
  const text = await new Promise((resolve) => http.get({ port, host: '127.0.0.1', path: '/metrics', agent }, (res) => {
    let t = '';
    res.on('data', (d) => (t += d));
    res.on('end', () => resolve(t));
  }));
  const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

// Each pattern yields batch bodies; 4 posters send them concurrently.
const patterns = {
  // 10,000 series, one sample in every second of the window: aggregates everywhere.
  'every series x every second': function* () {
    const now = Date.now();
    for (let sec = 0; sec < 1790; sec += 10) {
      const parts = [];
      for (let s = 0; s < 10000; s++) {
        const pts = [];
        for (let k = 0; k < 10; k++) pts.push(`[${now - (sec + k) * 1000},${(s % 97) + k * 0.5}]`);
        parts.push(`"svc.${s}":[${pts.join(',')}]`);
      }
      yield `{${parts.join(',')}}`;
    }
  },
  // 200 series at a high rate with raw points in every second of the window.
  'raw points everywhere': function* () {
    const now = Date.now();
    for (let sec = 0; sec < 1790; sec += 2) {
      const parts = [];
      for (let s = 0; s < 200; s++) {
        const pts = [];
        for (let k = 0; k < 400; k++) pts.push(`[${now - (sec + (k & 1)) * 1000 - (k % 997)},${(k * 7.3) % 500}]`);
        parts.push(`"hot.${s}":[${pts.join(',')}]`);
      }
      yield `{${parts.join(',')}}`;
    }
  },
  // New series names forever: the series limit and the budget must both hold.
  'endless new series': function* () {
    for (let b = 0; b < 400; b++) {
      const parts = [];
      for (let s = 0; s < 2000; s++) parts.push(`"new.${b}.${s}":[1,2,3]`);
      yield `{${parts.join(',')}}`;
    }
  },
};

console.log(`rss: spider ${bin} --memory-limit ${limit}, a fresh server per pattern, 4 posters`);
for (const [name, gen] of Object.entries(patterns)) {
  const spider = await start();
  const it = gen();
  let accepted = 0, rejected = 0, batches = 0;
  const t0 = Date.now();
  const worker = async () => {
    for (;;) {
      const n = it.next();
      if (n.done) return;
      const r = await post(spider.port, n.value);
      accepted += r.accepted;
      rejected += r.rejected;
      batches++;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const m = rss(spider.pid);
  const bytes = await metric(spider.port, 'spider_store_bytes');
  const series = await metric(spider.port, 'spider_store_series');
  console.log(`rss pattern="${name}": ${batches} batches in ${((Date.now() - t0) / 1000).toFixed(1)} s, ` +
    `accepted ${accepted}, rejected ${rejected}; store ${(bytes / 1048576).toFixed(1)} MiB, ${series} series; ` +
    `RSS ${m.rss.toFixed(1)} MiB, peak ${m.peak.toFixed(1)} MiB (bound ${limitMiB + 32} MiB: ${m.peak <= limitMiB + 32 ? 'within' : 'EXCEEDED'})`);
  spider.kill('SIGTERM');
  await new Promise((r) => spider.once('exit', r));
}
agent.destroy();
