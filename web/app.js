// app.js - wires the dashboard together: connection -> state -> view.
//
// The view (open panels, range, mode, y scale) lives in the URL's hash
// (url.js). Whenever the panels or the range change, and after every
// reconnect, the page sends {"subscribe": [open panels], "window_s": range};
// the server answers with a snapshot (reset: true) of each, then changes.
// Pause freezes the panels' time axis and drawing; data keeps being applied,
// so resuming draws the present at once.

import { connect } from './connection.js';
import { createState, applyMessage, serverNow, setSubscribed } from './state.js';
import {
  createSeriesList, createToolbar, createSelectorBox, showConnection, showFooter, showCurlExample, showPanelsNote, showStale,
} from './ui.js';
import { createPanels } from './panels.js';
import { createRollups, getJson } from './rollups.js';
import { nameSelector } from './keys.js';
import { echarts } from './charts.js';
import { parseHash, formatHash, stepOf, RANGES_S, STEPS_S, MAX_PANELS, MAX_ROLLUPS } from './url.js';

// Roll-up panels and the selector box's list are polled over HTTP.
const ROLLUP_POLL_MS = 2000;
const SELECTOR_POLL_MS = 3000;

const root = document.body;
const state = createState();
let view = parseHash(location.hash);
let paused = false;
let frozenNow = 0; // the time the panels show while paused
let renderTimer = 0;
let drawJob = null; // the render in progress (one panel per task)
const renderTimes = []; // main-thread ms of each of the latest renders, all panels (benches)
const sliceTimes = []; // main-thread ms of each panel draw (one task each)

const panels = createPanels(root.querySelector('#panels'), {
  onClose: (name) => setView({ ...view, series: view.series.filter((n) => n !== name) }),
  onZoomed: (start, end) => rollups.zoomTo(start, end),
});
const rollups = createRollups(root.querySelector('#rollups'), {
  onClose: (match) => setView({ ...view, rollups: view.rollups.filter((r) => r.match !== match) }),
  onBy: (match, by) => setView({ ...view, rollups: view.rollups.map((r) => (r.match === match ? { match, by } : r)) }),
  onZoom: (from, start, end) => {
    rollups.zoomTo(start, end, from);
    panels.zoomTo(start, end);
  },
});
function openRollup(match) {
  const p = rollups.panels.get(match);
  if (p) {
    p.el.scrollIntoView({ block: 'nearest' });
    return;
  }
  if (view.rollups.length >= MAX_ROLLUPS) return;
  setView({ ...view, rollups: [...view.rollups, { match, by: '' }] });
}
const list = createSeriesList(root, {
  onSelectName: (name) => openRollup(nameSelector(name)),
  onSelect: (name) => {
    if (view.series.includes(name)) {
      panels.panels.get(name)?.el.scrollIntoView({ block: 'nearest' });
      return;
    }
    if (view.series.length >= MAX_PANELS) return;
    setView({ ...view, series: [...view.series, name] });
  },
});
const toolbar = createToolbar(root, {
  ranges: RANGES_S,
  steps: STEPS_S,
  onRange: (s) => setView({ ...view, rangeS: s }),
  onStep: (s) => setView({ ...view, stepS: s }),
  onMode: (mode) => setView({ ...view, mode }),
  onScale: (y) => setView({ ...view, y }),
  onPause: () => setPaused(!paused),
});
const selectorBox = createSelectorBox(root, {
  onChange: (text) => setView({ ...view, selector: text }),
  onOpen: (text) => openRollup(text),
});
showCurlExample(root);

// While disconnected, what is shown is marked stale (since the last
// message); it stays so after a reconnect until the first fresh summary.
let lastMessageAt = 0;
let stale = false;
const conn = connect({
  onState: (s, text) => {
    showConnection(root, s, text);
    if (s !== 'live' && lastMessageAt && !stale) {
      stale = true;
      showStale(root, lastMessageAt);
    }
  },
  onOpen: () => {
    // A new connection (maybe to a restarted server) starts from nothing:
    // drop what is held and ask for a fresh snapshot.
    for (const data of state.detail.values()) data.clear();
    subscribe();
  },
  onMessage: (msg) => {
    const what = applyMessage(state, msg);
    lastMessageAt = Date.now();
    if (what === 'summary') {
      if (stale) {
        stale = false;
        showStale(root, 0);
      }
      list.setWindow(state.summarySeconds);
      list.render(state.rows);
      showFooter(root, state.hello, state.rows.length, state.server);
      // A series not in the summary has left the window: drop its data.
      const alive = new Set(state.rows.map((r) => r.name));
      for (const [name, data] of state.detail) if (!alive.has(name) && data.starts.length) data.clear();
    }
    if (what === 'summary' || what === 'detail') scheduleRender();
  },
});

function subscribe() {
  conn.send({ subscribe: view.series, window_s: view.rangeS });
}

// Applies a new view: URL, subscription, panels, toolbar.
function setView(next, { fromHash = false } = {}) {
  const prev = view;
  view = next;
  if (!fromHash && location.hash !== formatHash(view)) history.replaceState(null, '', formatHash(view));
  setSubscribed(state, view.series);
  if (prev.rangeS !== view.rangeS || prev.series.join('\n') !== view.series.join('\n')) subscribe();
  applyView();
  render(true);
  if (fromHash) selectorBox.set(view.selector); // never while the user types in it
  if (prev.selector !== view.selector) loadSelector();
  pollRollups(true);
}

// The time range of the roll-up panels: the live panels' (ending with the
// current second), in the live panels' steps (auto: about 300 steps, 1 s up
// to 5 min, 3 s at 15, 6 s at 30).
function rollupRange() {
  const now = paused ? frozenNow : serverNow(state);
  const until = Math.floor(now / 1000) * 1000 + 1000;
  return { since: until - view.rangeS * 1000, until, stepS: stepOf(view), y: view.y };
}

function pollRollups(force) {
  if (paused && !force) return;
  rollups.redraw(view.y);
  rollups.refresh(rollupRange());
}

// The selector box filters the list to the keys the server says it matches;
// asked again every few seconds, so new series appear.
let selectorGen = 0;
let selectorRefused = false; // not asked again until it changes
async function loadSelector() {
  const text = view.selector;
  const gen = ++selectorGen;
  if (!text) {
    selectorBox.showError('');
    list.setMatch(null);
    return;
  }
  const ans = await getJson(`/api/v1/series?match=${encodeURIComponent(text)}`);
  if (gen !== selectorGen) return; // the box changed meanwhile
  selectorRefused = !!ans.error;
  selectorBox.showError(ans.error ?? '');
  // A refused selector filters nothing out rather than emptying the list.
  list.setMatch(ans.error ? null : new Set(ans.json.series.map((s) => s.name)));
}

function applyView() {
  panels.sync(view.series);
  rollups.sync(view.rollups, panels.getZoom());
  list.setOpen(view.series);
  toolbar.show(view, paused);
  root.querySelector('main').classList.toggle('has-panels', view.series.length + view.rollups.length > 0);
  panels.resize();
  rollups.resize();
  showPanelsNote(root, paused ? 'paused: data keeps arriving; resume to catch up' : '');
}

function setPaused(p) {
  paused = p;
  if (paused) frozenNow = serverNow(state);
  applyView();
  if (!paused) pollRollups(true);
  render(true);
}

function scheduleRender() {
  // Coalesce an update and the detail messages that follow it into one draw.
  if (!renderTimer) renderTimer = setTimeout(() => render(false), 30);
}

// Draws every panel over [until - range, until), until being the end of the
// current second (or of the second paused at). force: redraw even if paused.
// One panel per task, so ten panels never hold the main thread at once.
function render(force) {
  clearTimeout(renderTimer);
  renderTimer = 0;
  const liveNow = serverNow(state);
  const liveUntil = Math.floor(liveNow / 1000) * 1000 + 1000;
  // Memory stays bounded: nothing older than the range is kept (a paused
  // view keeps only what its charts were last given).
  for (const data of state.detail.values()) data.prune(liveUntil - view.rangeS * 1000);
  if (paused && !force) return;
  const until = paused ? Math.floor(frozenNow / 1000) * 1000 + 1000 : liveUntil;
  const opts = { scheme: state.scheme, since: until - view.rangeS * 1000, until, rangeS: view.rangeS, stepMs: 1000 * stepOf(view), mode: view.mode, y: view.y };
  const queue = [...view.series];
  const job = { total: 0 };
  drawJob = job;
  const step = () => {
    if (drawJob !== job) return; // a newer render took over
    const name = queue.shift();
    if (name === undefined) return;
    const t0 = performance.now();
    panels.draw(name, state.detail.get(name), opts);
    const took = performance.now() - t0;
    job.total += took;
    sliceTimes.push(took);
    if (sliceTimes.length > 1000) sliceTimes.shift();
    if (queue.length) yieldThen(step);
    else {
      renderTimes.push(job.total);
      if (renderTimes.length > 100) renderTimes.shift();
    }
  };
  step();
}

// Runs fn in a new task soon (a message is not throttled like setTimeout).
const channel = new MessageChannel();
const pending = [];
channel.port1.onmessage = () => pending.shift()?.();
function yieldThen(fn) {
  pending.push(fn);
  channel.port2.postMessage(0);
}

window.addEventListener('hashchange', () => {
  const next = parseHash(location.hash);
  if (formatHash(next) !== formatHash(view)) setView(next, { fromHash: true });
});
window.addEventListener('resize', () => {
  panels.resize();
  rollups.resize();
});

setSubscribed(state, view.series);
applyView();
selectorBox.set(view.selector);
loadSelector();
pollRollups(true);
setInterval(() => pollRollups(false), ROLLUP_POLL_MS);
setInterval(() => view.selector && !selectorRefused && loadSelector(), SELECTOR_POLL_MS);
if (location.hash && location.hash !== formatHash(view)) history.replaceState(null, '', formatHash(view));

// For tests and debugging, read-only by convention: the state, the view,
// the panels' ECharts instances and the latest render times.
window.spiderState = state;
window.spiderDashboard = {
  state,
  echarts,
  view: () => ({ ...view, paused }),
  chart: (name) => panels.panels.get(name)?.chart.chart ?? null,
  rendered: (name) => panels.panels.get(name)?.rendered ?? null,
  rollupChart: (match) => rollups.panels.get(match)?.chart.chart ?? null,
  rolledUp: (match) => rollups.panels.get(match)?.rendered ?? null,
  renderTimes,
  sliceTimes,
};
