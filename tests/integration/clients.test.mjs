// The snippets of docs/clients.md marked "run by the tests" are run here,
// as written, against a real spider: only the ports are swapped for the
// test's own (8080 -> the HTTP port, 8125 -> the StatsD port, 4318 -> the
// OTLP port).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSpider, get, waitFor } from './helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(path.join(root, 'docs/clients.md'), 'utf8');
const snippets = [...doc.matchAll(/<!-- run: (\w+) -->\n```\w*\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));

// What each snippet leaves in the store: series key -> sample count.
const expected = {
  'docs.curl{route="/pay"}': 3,
  'docs.node.fetch': 3,
  'docs.python.json': 3,
  'docs.hotshots{route="/pay"}': 2,
  'docs.python.statsd': 2,
  'docs.shell{env="prod"}': 2,
  'docs.otel.render{service="docs-node"}': 3,
  'docs.otel.curl{service="docs-curl"}': 1,
  'docs.otel.latency{route="/pay",service="docs-node"}': 3,
};

let spider;
let dir;
before(async () => {
  spider = await startSpider();
  // Node snippets import npm packages: they run from a folder inside the
  // checkout so that node_modules resolves.
  dir = mkdtempSync(path.join(process.env.SPIDER_ARTIFACTS ?? root, 'snippets-'));
});
after(async () => {
  await spider.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('docs/clients.md has the snippets this test knows', () => {
  assert.equal(snippets.length, 9, snippets.map((s) => s.lang).join(','));
});

test('every runnable snippet of docs/clients.md works as written', async () => {
  for (const [i, s] of snippets.entries()) {
    const code = s.code.replaceAll('8080', String(spider.port)).replaceAll('8125', String(spider.statsdPort))
      .replaceAll('4318', String(spider.otlpPort));
    const opts = { cwd: dir, timeout: 20000, stdio: ['ignore', 'pipe', 'pipe'] };
    if (s.lang === 'node') {
      const file = path.join(dir, `snippet-${i}.mjs`);
      writeFileSync(file, code);
      execFileSync(process.execPath, [file], opts);
    } else if (s.lang === 'python') {
      execFileSync('/usr/bin/python3', ['-c', code], opts);
    } else if (s.lang === 'sh' || s.lang === 'bash') {
      execFileSync(s.lang === 'sh' ? '/bin/sh' : '/bin/bash', ['-c', code], opts);
    } else {
      assert.fail(`unknown snippet language ${s.lang}`);
    }
  }
  for (const [name, count] of Object.entries(expected)) {
    const r = await waitFor(async () => {
      const a = await get(spider.url, `/api/v1/series/${encodeURIComponent(name)}`);
      return a.status === 200 && a.json.summary.count === count ? a : null;
    }, `${count} samples in ${name}`);
    assert.equal(r.json.summary.count, count, name);
  }
});
