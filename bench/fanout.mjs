// Live fan-out: N WebSocket dashboards on one server, each receiving the
// summary of 100 series every push interval and the detail (per-second
// rows, raw points, histogram rows) of 5 of them, which get 20 samples a
// second each (subscribed after a 60 s snapshot). Prints, per N: server CPU,
// updates/s delivered, server memory per connection, and post-to-update
// latency of a probe series (posted every 2 s; the time until each
// dashboard's stream first names it).
// Usage: node bench/fanout.mjs path/to/spider [N,N,...] [seconds]
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [bin, countsArg = '1000,5000', secondsArg = '15'] = process.argv.slice(2);
const counts = countsArg.split(',').map(Number);
const seconds = Number(secondsArg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The same start-up the integration tests use (SPIDER_BIN names the binary).
process.env.SPIDER_BIN = bin;
const { startSpider } = await import('../tests/integration/helpers.mjs');
async function start() {
  const s = await startSpider([]);
  return Object.assign(s.proc, { port: s.port });
}

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    cpuTicks: Number(stat[11]) + Number(stat[12]), // utime + stime
    rssKiB: Number(status.match(/VmRSS:\s+(\d+)/)[1]),
  };
}

async function post(port, body) {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/points`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return r.json();
}

function quantile(sorted, q) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN;
}

const spider = await start();
const series = {};
for (let i = 0; i < 100; i++) series[`fanout.service.${i}`] = [1 + i, 2 + i, 3 + i];
await post(spider.port, series);
// The 5 series every dashboard subscribes to, fed 20 samples each per post.
const subscribed = [0, 1, 2, 3, 4].map((i) => `fanout.service.${i}`);
const live = () => Object.fromEntries(subscribed.map((name) => [name, Array.from({ length: 20 }, (_, k) => 1 + k + Math.random())]));
console.log(`fanout: ${bin}, 100 series in the summary, 5 subscribed with 20 samples/s each, push interval 1000 ms, ${seconds} s per run`);

for (const n of counts) {
  const clients = [];
  const probes = new Map(); // name -> posted at (ms)
  const latencies = [];
  let updates = 0;
  let details = 0;
  let bytes = 0;
  const base = procStat(spider.pid);
  for (let i = 0; i < n; i += 250) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 250); k++) {
      batch.push(new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${spider.port}/ws`, { perMessageDeflate: false });
        const seen = new Set();
        ws.on('message', (d) => {
          const text = d.toString();
          if (text.startsWith('{"type":"update"')) updates++;
          else details++;
          bytes += text.length;
          for (const [name, at] of probes)
            if (!seen.has(name) && text.includes(`"${name}"`)) {
              seen.add(name);
              latencies.push(Date.now() - at);
            }
        });
        ws.on('open', () => {
          ws.send(JSON.stringify({ subscribe: subscribed, window_s: 60 }));
          resolve(ws);
        });
        ws.on('error', reject);
      }));
    }
    clients.push(...(await Promise.all(batch)));
  }
  await sleep(2000);
  const connected = procStat(spider.pid);
  updates = 0;
  details = 0;
  bytes = 0;
  const t0 = Date.now();
  const cpu0 = procStat(spider.pid).cpuTicks;
  let k = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const name = `probe.${n}.${k++}`;
    probes.set(name, Date.now());
    await post(spider.port, { [name]: [1] });
    await sleep(1000);
    await post(spider.port, live());
    await sleep(1000);
    await post(spider.port, live());
  }
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = ((procStat(spider.pid).cpuTicks - cpu0) / 100 / elapsed) * 100;
  await sleep(1500); // let the last probe arrive everywhere
  latencies.sort((a, b) => a - b);
  const expected = probes.size * n;
  console.log(
    `fanout dashboards=${n}: server CPU ${cpu.toFixed(1)}% of a core, ` +
      `${(updates / elapsed).toFixed(0)} updates/s + ${(details / elapsed).toFixed(0)} detail messages/s ` +
      `(${(bytes / elapsed / 1e6).toFixed(1)} MB/s), ` +
      `server RSS +${((connected.rssKiB - base.rssKiB) / n).toFixed(1)} KiB per connection ` +
      `(${(connected.rssKiB / 1024).toFixed(1)} MiB total), ` +
      `probe post-to-update latency p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms ` +
      `(${latencies.length}/${expected} seen)`,
  );
  for (const ws of clients) ws.terminate();
  await sleep(2000);
}
spider.kill('SIGTERM');
