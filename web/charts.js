// charts.js - one ECharts chart per panel: a scatter of the raw points (x =
// time, y = ms) with the per-second p50 and p99 lines over it, or a heatmap
// of the per-second histograms with the same lines. Points are handed to
// ECharts as flat Float64Arrays with `dimensions` and `large: true` (plain
// arrays of pairs cost several times the main-thread time at 180k points).
//
// No user string ever reaches ECharts: series are named 'points', 'p50',
// 'p99', 'heat', and tooltips are built from numbers only (ECharts sets a
// tooltip's text as HTML).

import * as echarts from './vendor/echarts.js';

export { echarts };

const DARK = window.matchMedia?.('(prefers-color-scheme: dark)').matches;
const COLORS = DARK
  ? { points: '#6ea1ff', p50: '#5ad18b', p99: '#ff8a5c', text: '#8c94a6', line: '#2a2f3a' }
  : { points: '#2f6fde', p50: '#1f9d55', p99: '#d6453d', text: '#6b7385', line: '#e3e6ec' };
// Heatmap colour ramp, few samples to many, in steps of log(count): the
// faintest colour still stands off the background in either theme (the
// lightest of the light ramp ~1.5:1 on white, the darkest of the dark one
// ~2.6:1 on its near-black), so a cell of one sample never vanishes.
const HEAT = DARK
  ? ['#2e5a9c', '#3f83d8', '#6ea1ff', '#b0ccff', '#f2f6ff']
  : ['#b7d3f9', '#6f9ee9', '#2f6fde', '#1b4fb0', '#0b2a66'];
// Raw points and lines below this are drawn at it on a log axis (bucket 0's
// upper bound: 2^-10 ms); tooltips say so.
export const LOG_FLOOR = 2 ** -10;

const pad = (n, w = 2) => String(n).padStart(w, '0');
// Local time with milliseconds: 2026-11-26 14:03:07.123.
export function formatTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatMs(v, floor = 0) {
  if (!Number.isFinite(v)) return '–';
  if (floor > 0 && v <= floor) return `< ${floor.toPrecision(2)} ms`;
  if (v >= 100) return `${v.toFixed(1)} ms`;
  return `${Number(v.toPrecision(4))} ms`;
}

// A duration in human units for axis labels: µs under 1 ms, s from 1 s.
export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return '';
  if (ms === 0) return '0';
  const short = (v) => String(Number(v.toPrecision(3)));
  if (ms < 1) return `${short(ms * 1000)} µs`;
  if (ms < 1000) return `${short(ms)} ms`;
  return `${short(ms / 1000)} s`;
}

const formatRate = (v) => (Number.isFinite(v) ? `${Number(v.toPrecision(3))}/s` : '');

// The y axis of every chart, given whole at every render so its unit and
// range never depend on what an earlier render left: log or linear, labels
// in human units (µs, ms, s; or /s for rates), the range following the data
// [lo, hi] with a margin (a log axis ends within a quarter of the data, not
// at the next power of ten). No data: ECharts' own extent.
export function yAxisOption(y, unit, lo, hi) {
  const has = Number.isFinite(lo) && Number.isFinite(hi);
  const axis = {
    name: '', // the unit is on every label
    axisLabel: { color: COLORS.text, formatter: unit === 'ms' ? formatDuration : formatRate, hideOverlap: true },
    splitLine: { lineStyle: { color: COLORS.line } },
  };
  if (y === 'log') {
    const a = has && lo > 0 ? lo : NaN;
    return {
      ...axis, type: 'log', logBase: 10,
      min: Number.isFinite(a) ? a / 1.25 : 'dataMin',
      max: Number.isFinite(a) ? Math.max(hi, a) * 1.25 : 'dataMax',
    };
  }
  const span = has ? hi - lo : 0;
  return {
    ...axis, type: 'value',
    min: has ? Math.max(0, lo - 0.08 * (span || hi || 1)) : 0,
    max: has ? hi + 0.08 * (span || hi || 1) : 'dataMax',
  };
}

// The heatmap's colour legend: one piece per colour, counts split at
// powers of top^(1/5) (a log scale), whole numbers covering 1..top with no
// gap; labels are numbers only.
export function heatPieces(top) {
  const pieces = [];
  let lo = 1;
  for (let k = 1; k <= HEAT.length && lo <= top; k++) {
    const hi = k === HEAT.length ? top : Math.max(lo, Math.min(top, Math.round(top ** (k / HEAT.length))));
    const color = HEAT[Math.round(((k - 1) * (HEAT.length - 1)) / Math.max(1, Math.min(HEAT.length, top) - 1))] ?? HEAT[HEAT.length - 1];
    pieces.push({ gte: lo, lte: hi, color, label: lo === hi ? `${lo}` : `${lo}–${hi}` });
    lo = hi + 1;
  }
  return pieces;
}

// What every time chart shares: a time x axis and an ms y axis in the
// theme's colours, zoom by wheel and slider (onZoom(start, end) on a user
// zoom, so the other panels can follow; zoomTo follows theirs without
// echoing it back). extra: the chart's own grid, legend and tooltip.
function timeChart(el, onZoom, extra) {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  let syncing = false;
  chart.setOption({
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: COLORS.text },
    ...extra,
    xAxis: {
      type: 'time',
      axisLabel: { hideOverlap: true, color: COLORS.text },
      splitLine: { show: false },
      axisLine: { lineStyle: { color: COLORS.line } },
    },
    yAxis: yAxisOption('log', 'ms', NaN, NaN),
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      { type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 18, bottom: 10, showDataShadow: false, labelFormatter: '' },
    ],
    series: [],
  });
  // The chart follows its box, not only the window: the list beside the
  // panels changes width as rows arrive (or the empty state goes), and a
  // canvas sized before that would leave the plot short of the panel.
  const sized = new ResizeObserver(() => chart.resize());
  sized.observe(el);
  chart.on('datazoom', () => {
    if (syncing) return;
    const dz = chart.getOption().dataZoom[0];
    onZoom(dz.start, dz.end);
  });
  return {
    chart,
    zoomTo(start, end) {
      syncing = true;
      try {
        chart.dispatchAction({ type: 'dataZoom', start, end });
      } finally {
        syncing = false;
      }
    },
    resize: () => chart.resize(),
    dispose: () => {
      sized.disconnect();
      chart.dispose();
    },
  };
}

// A chart in `el`. onZoom(start, end) is called when the user zooms or pans
// (percent of the time axis), so the other panels can follow.
export function createChart(el, { onZoom }) {
  let current = null; // the arrays last given to ECharts (tooltips read them)
  const base = timeChart(el, onZoom, {
    grid: { left: 64, right: 18, top: 30, bottom: 62 },
    legend: { data: [], right: 12, top: 2, itemHeight: 8, textStyle: { color: COLORS.text } },
    tooltip: { trigger: 'item', confine: true, formatter: (p) => tooltipText(p) },
  });
  const { chart } = base;

  // Numbers only (ECharts sets tooltips as HTML).
  function tooltipText(p) {
    if (!current) return '';
    const i = p.dataIndex;
    if (p.seriesId === 'points') {
      const t = current.points[2 * i];
      const v = current.points[2 * i + 1];
      return `${formatTime(t)}<br>${formatMs(v, current.floor)}`;
    }
    if (p.seriesId === 'heat') {
      const c = current.heat.cells;
      return `${formatTime(c[5 * i])} – ${formatTime(c[5 * i + 1]).slice(11)}<br>` +
        `${formatMs(c[5 * i + 2])} – ${formatMs(c[5 * i + 3])}: ${c[5 * i + 4]} samples`;
    }
    const few = p.seriesId.endsWith('-few');
    const id = p.seriesId.replace(/-(few|alone)$/, '');
    const d = few || p.seriesId.endsWith('-alone') ? p.data : current.lines?.[id]?.[i];
    if (!d || d[1] === null) return '';
    const n = d[2];
    const what = few ? `${id} of too few samples (${n}): not drawn as a line` : id;
    return `${formatTime(d[0])} (${current.stepMs / 1000} s step, ${n} samples)<br>${what} ${formatMs(d[1], current.floor)}`;
  }

  // A percentile line over the steps: [t, v, count] per step, v null where
  // the step is empty or too small for it (connectNulls off: a break).
  function lineSeries(id, name, data, color) {
    return {
      id, name, type: 'line', data, dimensions: ['t', id, 'n'], encode: { x: 0, y: 1 },
      connectNulls: false, showSymbol: false, symbolSize: 4, z: 4, silent: false,
      lineStyle: { width: 1.5, color }, itemStyle: { color },
    };
  }

  // A step drawn between two that are not has no segment to show it: a dot
  // (a series of its own with the line's name, so the legend toggles both).
  function aloneSeries(id, name, data, color) {
    const alone = [];
    for (let i = 0; i < data.length; i++) {
      if (data[i][1] !== null && data[i - 1]?.[1] == null && data[i + 1]?.[1] == null) alone.push(data[i]);
    }
    return {
      id: `${id}-alone`, name, type: 'scatter', data: alone, dimensions: ['t', id, 'n'], encode: { x: 0, y: 1 },
      symbol: 'circle', symbolSize: 5, z: 5, itemStyle: { color },
    };
  }

  // The percentile of a step with too few samples for it: a hollow marker
  // (it is really the step's max), never part of the line.
  function fewSeries(id, name, data, color) {
    return {
      id: `${id}-few`, name, type: 'scatter', data, dimensions: ['t', id, 'n'], encode: { x: 0, y: 1 },
      symbol: 'emptyCircle', symbolSize: 5, z: 5, itemStyle: { color, borderType: 'dotted', borderWidth: 1 },
    };
  }

  // Draws a model: {mode, y, since, until, floor, stepMs, points, heat,
  // lines: {p50, p99}, few: {p50, p99}, names: {id: legend name}, yLo, yHi}.
  function render(model) {
    current = model;
    const series = [];
    if (model.mode === 'heatmap') {
      series.push({
        id: 'heat', name: 'heat', type: 'custom', data: model.heat.cells,
        dimensions: ['t0', 't1', 'lo', 'hi', 'count'], encode: { x: [0, 1], y: [2, 3] },
        // All at once: drawn a few hundred cells a frame (ECharts' default
        // past 3,000 cells), a redraw every second could restart before the
        // newest columns were painted.
        clip: true, z: 2, progressive: 0,
        renderItem: (params, api) => {
          const a = api.coord([api.value(0), api.value(3)]);
          const b = api.coord([api.value(1), api.value(2)]);
          return {
            type: 'rect',
            shape: { x: a[0], y: a[1], width: Math.max(1, b[0] - a[0]), height: Math.max(1, b[1] - a[1]) },
            style: { fill: api.visual('color') },
          };
        },
      });
    } else {
      series.push({
        id: 'points', name: 'points', type: 'scatter', data: model.points,
        dimensions: ['t', 'ms'], encode: { x: 0, y: 1 },
        large: true, largeThreshold: 2000, symbolSize: 3, z: 2,
        // Drawn over a few frames, 20k points each: the update itself stays
        // short (bench/dashboard.mjs: ~35 ms at 180k points) and the sweep
        // of a redraw is ~150 ms (ECharts' 5k default: ~400 ms; all at once:
        // one ~180 ms task).
        progressive: 20000,
        itemStyle: { color: COLORS.points, opacity: 0.55 },
      });
    }
    const legend = [];
    for (const id of ['p50', 'p99']) {
      series.push(lineSeries(id, model.names[id], model.lines[id], COLORS[id]));
      series.push(aloneSeries(id, model.names[id], model.lines[id], COLORS[id]));
      series.push(fewSeries(id, model.names[`${id}-few`], model.few[id], COLORS[id]));
      // A marker's legend entry only when there are markers: it says why.
      legend.push(model.names[id]);
      if (model.few[id].length) legend.push(model.names[`${id}-few`]);
    }
    // Heatmap: the colour legend, samples per cell, right of the plot (the
    // lines' legend is over it).
    const heat = model.mode === 'heatmap' && model.heat.top > 0;
    const visualMap = heat ? [{
      type: 'piecewise', seriesId: 'heat', dimension: 4, pieces: heatPieces(model.heat.top),
      orient: 'vertical', right: 6, top: 34, itemWidth: 12, itemHeight: 10, itemGap: 4,
      selectedMode: false, textStyle: { color: COLORS.text, fontSize: 11 },
    }] : [];
    chart.setOption({
      grid: { right: heat ? 92 : 18 },
      legend: { data: legend },
      visualMap,
      xAxis: { min: model.since, max: model.until },
      yAxis: yAxisOption(model.y, 'ms', model.yLo, model.yHi),
      series,
    }, { replaceMerge: ['series', 'visualMap'], lazyUpdate: false });
  }

  return {
    ...base,
    render,
  };
}

// Colours of a split roll-up panel's lines, one per label value, the last
// for "others" (grey). The page's legend uses the same.
export const LINE_COLORS = DARK
  ? ['#6ea1ff', '#5ad18b', '#ff8a5c', '#c792ea', '#f2c14e', '#4fd1c5', '#f783ac', '#a0a7b4']
  : ['#2f6fde', '#1f9d55', '#d6453d', '#8e44ad', '#c98a12', '#138a8a', '#c2417a', '#7c8494'];

// A roll-up chart: lines of per-step figures, x = step start. The lines are
// identified by ids only ('p50', 'p99' or 'g0'.., 'others'); the legend is
// the page's (label values are user strings), and a tooltip names a line by
// its number in that legend. onZoom as for createChart.
export function createLineChart(el, { onZoom }) {
  let current = null;
  const base = timeChart(el, onZoom, {
    grid: { left: 60, right: 18, top: 24, bottom: 62 },
    tooltip: { trigger: 'axis', confine: true, formatter: (p) => tooltipText(p) },
  });
  const { chart } = base;

  // Numbers only: the step's time and length, each line's number and value.
  function tooltipText(params) {
    if (!current || !params.length) return '';
    const rows = [];
    let t = NaN;
    for (const p of params) {
      const line = current.lines[p.seriesIndex];
      if (!line) continue;
      t = line.data[2 * p.dataIndex];
      const v = line.data[2 * p.dataIndex + 1];
      const what = current.unit === 'ms' ? formatMs(v, current.floor) : `${Number(v.toPrecision(4))}/s`;
      rows.push(line.number ? `line ${line.number} ${current.stat}: ${what}` : `${line.id}: ${what}`);
    }
    return `${formatTime(t)} (${current.stepMs / 1000} s step)<br>${rows.join('<br>')}`;
  }

  // model: {since, until, y, unit ('ms' or '/s'), stat, stepMs, floor,
  // lines: [{id, number, data: Float64Array [t, v, ...], color}]}.
  function render(model) {
    current = model;
    chart.setOption({
      xAxis: { min: model.since, max: model.until },
      yAxis: yAxisOption(model.y, model.unit, model.yLo, model.yHi),
      series: model.lines.map((l) => ({
        id: l.id, name: l.id, type: 'line', data: l.data, dimensions: ['t', 'v'], encode: { x: 0, y: 1 }, connectNulls: false,
        showSymbol: l.data.length <= 4, symbolSize: 4, z: 4,
        lineStyle: { width: 1.5, color: l.color }, itemStyle: { color: l.color },
      })),
    }, { replaceMerge: ['series'], lazyUpdate: false });
  }

  return {
    ...base,
    render,
  };
}
