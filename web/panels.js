// panels.js - the open series panels: one section per series with its name,
// its figures over the range, and its chart. Panels share the time axis:
// every panel is drawn over the same [since, until), and zooming or panning
// one moves the others. The series name is set with textContent only.

import { createChart, formatMs, LOG_FLOOR } from './charts.js';

// Heatmap: 8 bands per power of two, columns of the panels' step.
const HEAT_PER_OCTAVE = 8;

// The percentile lines, and the samples a step needs for each: a quantile q
// is drawn only where a step holds at least 1 / (1 - q) samples, so that at
// least one sample lies above its rank (with fewer, the nearest-rank p99 is
// the step's max, which a line would pass off as a p99). Below that the
// step's value is a hollow marker, named so in the legend.
export const LINES = [
  { id: 'p50', q: 0.5, min: 2 },
  { id: 'p99', q: 0.99, min: 100 },
];
const NAMES = {
  p50: 'p50', 'p50-few': 'p50 of 1 sample',
  p99: 'p99 (steps of ≥ 100 samples)', 'p99-few': 'p99 of < 100 samples (= max)',
};

// Smallest and largest y of a flat array, every k-th value from `at`.
function extent(flat, k, at, acc) {
  for (let i = at; i < flat.length; i += k) {
    const v = flat[i];
    if (v < acc.lo) acc.lo = v;
    if (v > acc.hi) acc.hi = v;
  }
}

export function createPanels(container, { onClose, onZoomed }) {
  const panels = new Map(); // name -> {el, chart, stats, note}
  let zoom = { start: 0, end: 100 };

  function onZoom(from, start, end) {
    zoom = { start, end };
    for (const p of panels.values()) if (p !== from) p.chart.zoomTo(start, end);
    if (from) onZoomed?.(start, end);
  }

  function open(name) {
    if (panels.has(name)) return panels.get(name);
    const el = document.createElement('section');
    el.className = 'panel';
    el.dataset.series = name;
    const head = document.createElement('div');
    head.className = 'panel-head';
    const title = document.createElement('h2');
    title.className = 'panel-name';
    title.textContent = name;
    title.title = name;
    const stats = document.createElement('span');
    stats.className = 'panel-stats';
    const note = document.createElement('span');
    note.className = 'panel-note';
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'panel-close';
    close.textContent = '×';
    close.setAttribute('aria-label', 'close panel');
    close.addEventListener('click', () => onClose(name));
    head.append(title, stats, note, close);
    const chartEl = document.createElement('div');
    chartEl.className = 'panel-chart';
    el.append(head, chartEl);
    container.appendChild(el);
    const p = { el, stats, note, chartEl, chart: null, rendered: null };
    p.chart = createChart(chartEl, { onZoom: (s, e) => onZoom(p, s, e) });
    if (zoom.start !== 0 || zoom.end !== 100) p.chart.zoomTo(zoom.start, zoom.end);
    panels.set(name, p);
    return p;
  }

  function close(name) {
    const p = panels.get(name);
    if (!p) return;
    p.chart.dispose();
    p.el.remove();
    panels.delete(name);
  }

  // Keeps exactly these panels, in this order.
  function sync(names) {
    for (const name of [...panels.keys()]) if (!names.includes(name)) close(name);
    for (const name of names) container.appendChild(open(name).el);
  }

  // Draws one panel from its SeriesData over [since, until), its lines in
  // steps of stepMs.
  function draw(name, data, { scheme, since, until, rangeS, stepMs, mode, y }) {
    const p = panels.get(name);
    if (!p) return;
    const floor = y === 'log' ? LOG_FLOOR : 0;
    const model = {
      mode, y, since, until, floor, stepMs, names: NAMES, points: null, heat: null, lines: {}, few: {}, steps: null,
    };
    const acc = { lo: Infinity, hi: -Infinity };
    if (data) {
      if (mode === 'heatmap') {
        model.heat = data.heatmap(scheme, since, until, stepMs, HEAT_PER_OCTAVE, floor);
        extent(model.heat.cells, 5, 2, acc);
        extent(model.heat.cells, 5, 3, acc);
      } else {
        model.points = data.scatter(since, until, floor);
        extent(model.points, 2, 1, acc);
      }
    } else {
      model.points = new Float64Array(0);
      model.heat = { cells: new Float64Array(0), top: 0 };
    }
    const st = data ? data.steps(scheme, since, until, stepMs, LINES.map((l) => l.q))
      : { start: new Float64Array(0), count: new Float64Array(0), max: new Float64Array(0), q: LINES.map(() => new Float64Array(0)) };
    model.steps = st;
    LINES.forEach(({ id, min }, k) => {
      const line = new Array(st.start.length);
      const few = [];
      for (let i = 0; i < st.start.length; i++) {
        const n = st.count[i];
        const v = Math.max(st.q[k][i], floor);
        if (n >= min) {
          line[i] = [st.start[i], v, n];
          if (v < acc.lo) acc.lo = v;
          if (v > acc.hi) acc.hi = v;
        } else {
          line[i] = [st.start[i], null, n];
          if (n) few.push([st.start[i], v, n]);
        }
      }
      model.lines[id] = line;
      model.few[id] = few;
    });
    model.yLo = acc.lo;
    model.yHi = acc.hi;
    p.chart.render(model);
    p.rendered = model;
    p.el.dataset.step = String(stepMs);

    const s = data ? data.summary(scheme, since, until) : { count: 0, quantiles: [NaN, NaN, NaN], max: NaN };
    const [p50, , p99] = s.quantiles;
    p.el.dataset.since = String(since);
    p.el.dataset.until = String(until);
    p.el.dataset.count = String(s.count);
    p.el.dataset.p50 = String(p50);
    p.el.dataset.p99 = String(p99);
    p.el.dataset.max = String(s.max);
    const minutes = rangeS / 60;
    p.stats.textContent = s.count
      ? `last ${minutes} min: ${s.count.toLocaleString('en-US')} samples · p50 ${formatMs(p50)} · ` +
        `p99 ${formatMs(p99)} · max ${formatMs(s.max)}`
      : `no samples in the last ${minutes} min`;
    const shown = mode === 'heatmap'
      ? `heatmap of the histograms; colour = samples per cell (log scale, up to ${model.heat.top})`
      : `${(model.points.length / 2).toLocaleString('en-US')} points shown`;
    const lines = `lines: merged histograms of ${stepMs / 1000} s steps; p99 drawn where a step has ≥ 100 samples`;
    p.note.textContent = data?.loading ? 'loading history…' : `${shown} · ${lines}`;
  }

  function resize() {
    for (const p of panels.values()) p.chart.resize();
  }

  return { open, close, sync, draw, resize, panels, getZoom: () => zoom, zoomTo: (start, end) => onZoom(null, start, end) };
}
