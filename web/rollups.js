// rollups.js - roll-up panels: one per selector (a name, or what the
// selector box holds), drawn from GET /api/v1/rollup, polled by app.js.
//
// - "all matching series merged": the p50 and p99 of every step and the
//   figures of the whole range, as the server merged them (histograms added
//   bucket by bucket; never an average of percentiles);
// - "split by LABEL": one line per value of the label (the chosen figure per
//   step) with a legend. At most MAX_LINES lines: past that, the values with
//   the most samples get a line each and the rest are one "others" line,
//   itself a roll-up the server merges (the selector plus LABEL!="v" for
//   every value shown), so its percentiles are exact too. Only if that
//   query is refused (a selector over the server's limits) are "others"
//   added up here, and then for counts only.
//
// Label values and selectors are user strings: they are set with
// textContent (title, legend, errors) and never reach ECharts, whose lines
// have ids only (see charts.js).

import { createLineChart, formatMs, LINE_COLORS, LOG_FLOOR } from './charts.js';
import { splitKey, withMatchers, quoteValue } from './keys.js';

export const MAX_LINES = 8;
// Columns of the roll-up's rows (the protocol's "columns").
export const COL = { start: 0, count: 1, rate: 2, sum: 3, min: 4, max: 5, p50: 6, p90: 7, p99: 8, p999: 9 };
const STATS = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p999', 'p99.9'], ['rate', 'rate/s']];
const MERGED_COLORS = { p50: LINE_COLORS[1], p99: LINE_COLORS[2] };
// Samples a step needs for a percentile to be drawn, as in the live panels
// (panels.js LINES): 1 / (1 - q), so that a sample lies above its rank;
// with fewer the percentile is the step's max and the line breaks there.
const MIN_SAMPLES = { [COL.p50]: 2, [COL.p90]: 10, [COL.p99]: 100, [COL.p999]: 1000 };

// GET a JSON answer; {json} or {error: text} (the server's error, if any).
export async function getJson(url) {
  try {
    const res = await fetch(url, { cache: 'no-store' });
    let json = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    if (!res.ok) return { error: typeof json?.error === 'string' ? json.error : `HTTP ${res.status}` };
    return { json };
  } catch (e) {
    return { error: `request failed (${e.message})` };
  }
}

const enc = encodeURIComponent;
const fmtCount = (n) => n.toLocaleString('en-US');
const fmtRate = (v) => (Number.isFinite(v) ? `${Number(v.toPrecision(3))}/s` : '–');

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function createRollups(container, { onClose, onBy, onZoom }) {
  const panels = new Map(); // match -> panel

  function open(match, by) {
    if (panels.has(match)) return panels.get(match);
    const p = { match, by, stat: 'p99', labelKeys: [], data: null, rendered: null, inflight: false, gen: 0 };
    p.el = el('section', 'panel rollup');
    p.el.dataset.match = match;
    const head = el('div', 'panel-head');
    const title = el('h2', 'panel-name', match);
    title.title = match;
    const kind = el('span', 'panel-kind', 'roll-up');
    p.bySelect = el('select', 'rollup-by');
    p.bySelect.setAttribute('aria-label', 'merge or split by a label');
    p.bySelect.addEventListener('change', () => onBy(match, p.bySelect.value));
    p.statSelect = el('select', 'rollup-stat');
    p.statSelect.setAttribute('aria-label', 'figure drawn per label value');
    for (const [value, label] of STATS) {
      const o = el('option', '', label);
      o.value = value;
      p.statSelect.appendChild(o);
    }
    p.statSelect.value = p.stat;
    p.statSelect.addEventListener('change', () => {
      p.stat = p.statSelect.value;
      if (p.data) draw(p, p.lastY);
    });
    p.stats = el('span', 'panel-stats');
    p.note = el('span', 'panel-note');
    p.error = el('span', 'panel-error');
    p.error.setAttribute('role', 'status');
    const close = el('button', 'panel-close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'close panel');
    close.addEventListener('click', () => onClose(match));
    head.append(title, kind, p.bySelect, p.statSelect, p.stats, p.note, p.error, close);
    p.legend = el('ol', 'legend');
    p.legend.setAttribute('aria-label', 'lines');
    const chartEl = el('div', 'panel-chart');
    p.el.append(head, p.legend, chartEl);
    container.appendChild(p.el);
    p.chart = createLineChart(chartEl, { onZoom: (s, e) => onZoom(p, s, e) });
    panels.set(match, p);
    setBy(p, by);
    return p;
  }

  function setBy(p, by) {
    if (p.by !== by) {
      p.by = by;
      p.data = null;
      p.gen++; // an answer to the previous question is dropped
    }
    fillBy(p);
    p.statSelect.hidden = !by;
  }

  // The choices: merged, or split by any label the matching series have
  // (and the current one even before the series list says it exists).
  function fillBy(p) {
    const keys = [...new Set([...p.labelKeys, ...(p.by ? [p.by] : [])])].sort();
    const want = ['', ...keys];
    const have = [...p.bySelect.options].map((o) => o.value);
    if (want.join('\n') !== have.join('\n')) {
      const opts = want.map((k) => {
        const o = el('option', '', k ? `split by ${k}` : 'all matching series merged');
        o.value = k;
        return o;
      });
      p.bySelect.replaceChildren(...opts);
    }
    p.bySelect.value = p.by;
  }

  function close(match) {
    const p = panels.get(match);
    if (!p) return;
    p.chart.dispose();
    p.el.remove();
    panels.delete(match);
  }

  // Keeps exactly these panels ([{match, by}]), in this order; a new one
  // takes the zoom of the others ({start, end} percent).
  function sync(rollups, zoom) {
    const want = new Set(rollups.map((r) => r.match));
    for (const match of [...panels.keys()]) if (!want.has(match)) close(match);
    for (const r of rollups) {
      const fresh = !panels.has(r.match);
      const p = open(r.match, r.by);
      if (fresh && zoom && (zoom.start !== 0 || zoom.end !== 100)) p.chart.zoomTo(zoom.start, zoom.end);
      setBy(p, r.by);
      container.appendChild(p.el);
    }
  }

  // Asks the server for one panel's range; draws when the answers are in.
  // One question at a time per panel; one asked meanwhile (a new range or
  // label) is asked when the answer is in.
  async function load(p, range) {
    if (p.inflight) {
      p.again = range;
      return;
    }
    const { since, until, stepS, y } = range;
    p.inflight = true;
    const gen = p.gen;
    try {
      const data = await fetchData(p.match, p.by, since, until, stepS);
      if (gen !== p.gen || !panels.has(p.match)) return;
      if (data.labelKeys) {
        p.labelKeys = data.labelKeys;
        fillBy(p);
      }
      p.error.textContent = data.error ?? '';
      if (data.error) return; // the last drawing stays
      p.data = data;
      draw(p, y);
    } finally {
      p.inflight = false;
      const again = p.again;
      p.again = null;
      if (again && panels.has(p.match)) load(p, again);
    }
  }

  function draw(p, y) {
    p.lastY = y;
    const d = p.data;
    const ms = !p.by || p.stat !== 'rate';
    const floor = y === 'log' && ms ? LOG_FLOOR : 0;
    // A step the server left out (no samples) breaks the line: a NaN
    // point where it would start (ECharts draws no segment to or from it).
    let lo = Infinity;
    let hi = -Infinity;
    const line = (id, number, steps, col, color) => {
      const data = [];
      let prev = -Infinity;
      for (const r of steps) {
        const t = r[COL.start];
        if (t - prev > d.stepMs && prev > -Infinity) data.push(prev + d.stepMs, NaN);
        const few = r[COL.count] < (MIN_SAMPLES[col] ?? 0);
        const v = few ? NaN : floor ? Math.max(floor, r[col]) : r[col];
        data.push(t, v);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        prev = t;
      }
      return { id, number, data: Float64Array.from(data), color };
    };
    const lines = [];
    const legend = [];
    if (!p.by) {
      const g = d.groups[0] ?? { steps: [], summary: null, series: 0 };
      lines.push(line('p50', 0, g.steps, COL.p50, MERGED_COLORS.p50), line('p99', 0, g.steps, COL.p99, MERGED_COLORS.p99));
      legend.push({ color: MERGED_COLORS.p50, text: 'p50' }, { color: MERGED_COLORS.p99, text: 'p99' });
      const s = g.summary;
      // The figures as numbers, for tests (the text rounds them).
      for (const k of ['count', 'p50', 'p99', 'p999', 'max']) p.el.dataset[k] = String(s ? s[COL[k]] : NaN);
      p.stats.textContent = s && s[COL.count]
        ? `${g.series} series · ${fmtCount(s[COL.count])} samples · ${fmtRate(s[COL.rate])} · ` +
          `p50 ${formatMs(s[COL.p50])} · p99 ${formatMs(s[COL.p99])} · p99.9 ${formatMs(s[COL.p999])} · max ${formatMs(s[COL.max])}`
        : `${d.series} series · no samples in the range`;
    } else {
      const col = COL[p.stat];
      d.groups.forEach((g, i) => {
        const color = LINE_COLORS[i % (LINE_COLORS.length - 1)];
        lines.push(line(`g${i}`, i + 1, g.steps, col, color));
        legend.push({ color, number: i + 1, value: g.value, summary: g.summary, series: g.series });
      });
      if (d.others) {
        const o = d.others;
        const color = LINE_COLORS[LINE_COLORS.length - 1];
        if (o.steps) lines.push(line('others', lines.length + 1, o.steps, col, color));
        legend.push({
          color, number: o.steps ? lines.length : 0, others: o.values, summary: o.summary, series: o.series, error: o.error,
        });
      }
      const total = d.groups.reduce((a, g) => a + g.summary[COL.count], 0) + (d.others?.summary[COL.count] ?? 0);
      p.stats.textContent = `${d.series} series · ${fmtCount(total)} samples · ${d.values} value${d.values === 1 ? '' : 's'} of ${p.by}`;
    }
    const unit = ms ? 'ms' : '/s';
    const stat = p.by ? STATS.find(([v]) => v === p.stat)[1] : 'value';
    const model = { since: d.since, until: d.until, stepMs: d.stepMs, y, unit, stat, floor, lines, yLo: lo, yHi: hi };
    p.chart.render(model);
    p.rendered = { ...model, by: p.by, statKey: p.stat, groups: d.groups, others: d.others };
    p.el.dataset.since = String(d.since);
    p.el.dataset.until = String(d.until);
    p.el.dataset.step = String(d.stepMs);
    const shownCol = p.by ? COL[p.stat] : COL.p99;
    const min = MIN_SAMPLES[shownCol];
    const name = p.by ? STATS.find(([v]) => v === p.stat)[1] : 'p99';
    p.note.textContent = `steps of ${d.stepMs / 1000} s` + (min > 2 ? ` · ${name} drawn where a step has ≥ ${min} samples` : '');
    renderLegend(p, legend);
  }

  function renderLegend(p, items) {
    const frag = document.createDocumentFragment();
    for (const it of items) {
      const li = el('li');
      const sw = el('span', 'swatch');
      sw.style.backgroundColor = it.color; // CSSOM, allowed by the CSP
      li.appendChild(sw);
      if (it.text) {
        li.appendChild(el('span', 'legend-value', it.text));
      } else {
        if (it.number) li.appendChild(el('span', 'legend-number', `${it.number}`));
        if (it.others !== undefined) li.appendChild(el('span', 'legend-others', `others (${it.others} values)`));
        else if (it.value === '') li.appendChild(el('span', 'legend-none', `no ${p.by}`));
        else {
          const v = el('span', 'legend-value', it.value);
          v.title = it.value;
          li.appendChild(v);
        }
        const s = it.summary;
        const figures = s && s[COL.count]
          ? `${fmtCount(s[COL.count])} · p99 ${it.error ? '–' : formatMs(s[COL.p99])}` : 'no samples';
        li.appendChild(el('span', 'legend-figures', figures));
        if (it.error) li.appendChild(el('span', 'panel-error', `(counts only: ${it.error})`));
      }
      frag.appendChild(li);
    }
    p.legend.replaceChildren(frag);
  }

  function refresh(range) {
    for (const p of panels.values()) load(p, range);
  }

  function redraw(y) {
    for (const p of panels.values()) if (p.data) draw(p, y);
  }

  function zoomTo(start, end, except) {
    for (const p of panels.values()) if (p !== except) p.chart.zoomTo(start, end);
  }

  function resize() {
    for (const p of panels.values()) p.chart.resize();
  }

  return { sync, refresh, redraw, resize, zoomTo, panels };
}

// The answers for one panel: the label keys of the matching series, and the
// roll-up, merged or by a label (top MAX_LINES - 1 values and "others" when
// there are more than MAX_LINES). Returns {error} on any refusal.
export async function fetchData(match, by, since, until, stepS) {
  const list = await getJson(`/api/v1/series?match=${enc(match)}`);
  if (list.error) return { error: list.error };
  const keys = new Set();
  for (const s of list.json.series) for (const [k] of splitKey(s.name).labels) keys.add(k);
  const labelKeys = [...keys].sort();
  const range = `since=${since}&until=${until}&step=${stepS}s`;
  const main = await getJson(`/api/v1/rollup?match=${enc(match)}${by ? `&by=${enc(by)}` : ''}&${range}`);
  if (main.error) return { error: main.error, labelKeys };
  const a = main.json;
  let groups = a.groups.map((g) => ({ value: by ? g.labels[by] : null, series: g.series, steps: g.steps, summary: g.summary }));
  const out = {
    labelKeys, since: a.since_ms, until: a.until_ms, stepMs: a.step_ms, series: a.series, values: groups.length, others: null,
  };
  if (by && groups.length > MAX_LINES) {
    groups.sort((x, y) => y.summary[COL.count] - x.summary[COL.count] || (x.value < y.value ? -1 : 1));
    const top = groups.slice(0, MAX_LINES - 1);
    const rest = groups.slice(MAX_LINES - 1);
    const sel = withMatchers(match, top.map((g) => `${by}!=${quoteValue(g.value)}`).join(','));
    const o = await getJson(`/api/v1/rollup?match=${enc(sel)}&${range}`);
    const others = { values: rest.length, series: rest.reduce((n, g) => n + g.series, 0), match: sel };
    if (!o.error && o.json.groups.length === 1) {
      others.steps = o.json.groups[0].steps;
      others.summary = o.json.groups[0].summary;
    } else {
      // Counts only: percentiles of several groups cannot be added up.
      others.error = o.error ?? 'no answer';
      const s = new Array(10).fill(NaN);
      s[COL.start] = a.since_ms;
      s[COL.count] = rest.reduce((n, g) => n + g.summary[COL.count], 0);
      s[COL.rate] = rest.reduce((n, g) => n + g.summary[COL.rate], 0);
      s[COL.sum] = rest.reduce((n, g) => n + g.summary[COL.sum], 0);
      others.summary = s;
    }
    out.others = others;
    groups = top;
  }
  out.groups = groups;
  return out;
}
