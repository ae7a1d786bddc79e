// panels.js - the open series panels: one section per series with its name,
// its figures over the range, and its chart. Panels share the time axis:
// every panel is drawn over the same [since, until), and zooming or panning
// one moves the others. The series name is set with textContent only.

import { createChart, formatMs, LOG_FLOOR } from './charts.js';
import { ROW } from './detail.js';

// Heatmap: 8 bands per power of two, and at most ~300 columns in the range.
const HEAT_PER_OCTAVE = 8;
const HEAT_MAX_COLUMNS = 300;

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

  // Draws one panel from its SeriesData over [since, until).
  function draw(name, data, { scheme, since, until, rangeS, mode, y }) {
    const p = panels.get(name);
    if (!p) return;
    const floor = y === 'log' ? LOG_FLOOR : 0;
    const model = { mode, y, since, until, floor, points: null, heat: null };
    if (data) {
      if (mode === 'heatmap') {
        const colMs = 1000 * Math.max(1, Math.ceil(rangeS / HEAT_MAX_COLUMNS));
        model.heat = data.heatmap(scheme, since, until, colMs, HEAT_PER_OCTAVE, floor);
      } else {
        model.points = data.scatter(since, until, floor);
      }
      model.p50 = data.line(since, until, ROW.p50, floor);
      model.p99 = data.line(since, until, ROW.p99, floor);
    } else {
      model.points = new Float64Array(0);
      model.heat = { cells: new Float64Array(0), top: 0 };
      model.p50 = model.p99 = new Float64Array(0);
    }
    p.chart.render(model);
    p.rendered = model;

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
    p.note.textContent = data?.loading ? 'loading history…' : shown;
  }

  function resize() {
    for (const p of panels.values()) p.chart.resize();
  }

  return { open, close, sync, draw, resize, panels, getZoom: () => zoom, zoomTo: (start, end) => onZoom(null, start, end) };
}
