// state.js - what the dashboard knows: the server's hello, the latest
// summary row of every series, and the detail (seconds, raw points,
// histograms) of the series it is subscribed to. Pure data, no DOM.

import { SeriesData } from './detail.js';
import { DEFAULT_SCHEME } from './hist.js';

export function createState() {
  return {
    hello: null,
    scheme: DEFAULT_SCHEME, // histogram buckets (from the hello)
    clockOffset: 0, // server time - Date.now(), from the latest message that had one
    updatedAt: 0,
    columns: [],
    summarySeconds: 10, // the window of the summary rows
    rows: [], // [{name, rate, count, p50, p99, max}]
    server: null, // {clients, ingest_per_s}
    detail: new Map(), // series name -> SeriesData, for the subscribed series
  };
}

// The server's clock now, as well as the client can tell.
export function serverNow(state) {
  return Date.now() + state.clockOffset;
}

// Keeps a SeriesData for exactly these names (dropping the others' data).
export function setSubscribed(state, names) {
  for (const name of state.detail.keys()) if (!names.includes(name)) state.detail.delete(name);
  for (const name of names) if (!state.detail.has(name)) state.detail.set(name, new SeriesData(name));
}

// Applies one server message; returns what changed: 'hello', 'summary',
// 'detail' or null.
export function applyMessage(state, msg) {
  if (msg.type === 'hello') {
    state.hello = msg;
    if (msg.hist) state.scheme = msg.hist;
    if (typeof msg.server_time_ms === 'number') state.clockOffset = msg.server_time_ms - Date.now();
    return 'hello';
  }
  if (msg.type === 'update' && msg.summary) {
    const cols = msg.summary.columns;
    state.columns = cols;
    if (typeof msg.summary.seconds === 'number') state.summarySeconds = msg.summary.seconds;
    state.updatedAt = msg.now_ms;
    if (typeof msg.now_ms === 'number') state.clockOffset = msg.now_ms - Date.now();
    state.server = msg.server ?? null;
    state.rows = msg.summary.rows.map((row) => Object.fromEntries(cols.map((c, i) => [c, row[i]])));
    return 'summary';
  }
  if (msg.type === 'detail' && typeof msg.series === 'string') {
    const data = state.detail.get(msg.series);
    if (!data) return null; // a series no longer subscribed: its stream ends at the next update
    data.apply(msg);
    return 'detail';
  }
  return null;
}
