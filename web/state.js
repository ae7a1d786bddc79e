// state.js - what the dashboard knows: the server's hello and the latest
// summary row of every series. Pure data, no DOM.

export function createState() {
  return {
    hello: null,
    updatedAt: 0,
    columns: [],
    rows: [], // [{name, rate, count, p50, p99, max}]
    server: null, // {clients, ingest_per_s}
  };
}

// Applies one server message; returns true if the view should redraw.
export function applyMessage(state, msg) {
  if (msg.type === 'hello') {
    state.hello = msg;
    return true;
  }
  if (msg.type === 'update' && msg.summary) {
    const cols = msg.summary.columns;
    state.columns = cols;
    state.updatedAt = msg.now_ms;
    state.server = msg.server ?? null;
    state.rows = msg.summary.rows.map((row) => Object.fromEntries(cols.map((c, i) => [c, row[i]])));
    return true;
  }
  return false;
}
