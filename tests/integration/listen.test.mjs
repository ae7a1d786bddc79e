// --listen: names resolve, IPv6 works, and a failure to listen exits
// non-zero naming the address, never having printed "listening".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { BIN, get, stopSpider } from './helpers.mjs';

// Starts spider with `--listen listen`; resolves {proc, url, log} once it
// prints its URL (any host), or {code, log} if it exits first.
function startAt(listen) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['--listen', listen], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`spider --listen ${listen} neither listened nor exited: ${log}`));
    }, 10000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/(\S+?):(\d+)\/)/);
      if (m && !proc.url) {
        clearTimeout(timer);
        proc.url = m[1].slice(0, -1);
        resolve({ proc, url: proc.url, host: m[2], port: Number(m[3]), log: () => log });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (!proc.url) resolve({ code, log: () => log });
    });
  });
}

// Listens on host:0 in this process; resolves the server, or null if the
// host cannot be bound here (no IPv6 loopback).
function hold(host) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen(0, host, () => resolve(srv));
  });
}

async function answersHealthz(s) {
  try {
    const r = await get(s.url, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
  } finally {
    assert.equal(await stopSpider(s.proc), 0);
  }
}

test('localhost:PORT resolves to 127.0.0.1 and answers /healthz', async () => {
  const s = await startAt('localhost:0');
  assert.ok(s.proc, `spider exited ${s.code}: ${s.log()}`);
  assert.equal(s.host, '127.0.0.1');
  assert.match(s.log(), /resolved from localhost/);
  await answersHealthz(s);
});

test('[::1]:PORT listens on the IPv6 loopback', async (t) => {
  const probe = await hold('::1');
  if (!probe) return t.skip('this machine has no IPv6 loopback (::1 cannot be bound)');
  probe.close();
  const s = await startAt('[::1]:0');
  assert.ok(s.proc, `spider exited ${s.code}: ${s.log()}`);
  assert.equal(s.host, '[::1]');
  await answersHealthz(s);
});

test('0.0.0.0:PORT binds every interface; the URL is the loopback one', async () => {
  const s = await startAt('0.0.0.0:0');
  assert.ok(s.proc, `spider exited ${s.code}: ${s.log()}`);
  assert.equal(s.host, '127.0.0.1');
  await answersHealthz(s);
});

test('an address in use exits non-zero, names it and never says listening', async () => {
  const busy = await hold('127.0.0.1');
  const port = busy.address().port;
  try {
    for (const listen of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const r = await startAt(listen);
      if (r.proc) await stopSpider(r.proc);
      assert.ok(!r.proc, `--listen ${listen} on a port in use said: ${r.log()}`);
      assert.notEqual(r.code, 0);
      assert.match(r.log(), new RegExp(`cannot listen on ${listen.replace(/\./g, '\\.')}.*in use`));
      assert.doesNotMatch(r.log(), /listening/);
    }
  } finally {
    busy.close();
  }
});

test('an address that is not this host\'s exits non-zero', async () => {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address.
  const r = await startAt('192.0.2.1:8080');
  if (r.proc) await stopSpider(r.proc);
  assert.ok(!r.proc, `--listen 192.0.2.1:8080 said: ${r.log()}`);
  assert.notEqual(r.code, 0);
  assert.match(r.log(), /cannot listen on 192\.0\.2\.1:8080/);
  assert.doesNotMatch(r.log(), /listening/);
});

test('an unresolvable name exits non-zero and says so', async () => {
  // .invalid never resolves (RFC 6761).
  const r = await startAt('nosuch.invalid:8080');
  if (r.proc) await stopSpider(r.proc);
  assert.ok(!r.proc, `--listen nosuch.invalid:8080 said: ${r.log()}`);
  assert.notEqual(r.code, 0);
  assert.match(r.log(), /cannot listen on nosuch\.invalid:8080: the name does not resolve/);
  assert.doesNotMatch(r.log(), /listening/);
});
