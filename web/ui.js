// ui.js - the series list (live stats, filter by text, sort by any column,
// click a row to open its panel), the toolbar (range, pause, mode, y scale),
// the connection badge and the footer. Every user-supplied string (series
// names) is set with textContent, never as HTML.

const COLUMNS = [
  { key: 'name', label: 'series', numeric: false },
  { key: 'rate', label: 'rate/s', numeric: true },
  { key: 'count', label: 'count', numeric: true },
  { key: 'p50', label: 'p50 ms', numeric: true },
  { key: 'p99', label: 'p99 ms', numeric: true },
  { key: 'max', label: 'max ms', numeric: true },
];

function formatNumber(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}

export function createSeriesList(root, { onSelect }) {
  const view = { sortKey: 'name', sortDesc: false, filter: '' };
  let open = new Set(); // series with a panel
  const table = root.querySelector('#series-table');
  const thead = table.querySelector('thead tr');
  const tbody = table.querySelector('tbody');
  let lastRows = [];

  for (const col of COLUMNS) {
    const th = document.createElement('th');
    th.textContent = col.label;
    th.dataset.key = col.key;
    if (col.numeric) th.classList.add('num');
    th.addEventListener('click', () => {
      view.sortDesc = view.sortKey === col.key ? !view.sortDesc : col.numeric;
      view.sortKey = col.key;
      render(lastRows);
    });
    thead.appendChild(th);
  }
  root.querySelector('#filter').addEventListener('input', (e) => {
    view.filter = e.target.value.trim().toLowerCase();
    render(lastRows);
  });
  const select = (e) => {
    const tr = e.target.closest('tr');
    if (tr && tr.dataset.series !== undefined) onSelect(tr.dataset.series);
  };
  tbody.addEventListener('click', select);
  tbody.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      select(e);
    }
  });

  function render(rows) {
    lastRows = rows;
    const shown = rows
      .filter((r) => !view.filter || r.name.toLowerCase().includes(view.filter))
      .sort((a, b) => {
        const x = a[view.sortKey];
        const y = b[view.sortKey];
        const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
        return view.sortDesc ? -c : c;
      });
    for (const th of thead.children) {
      th.classList.toggle('sorted', th.dataset.key === view.sortKey);
      th.classList.toggle('desc', th.dataset.key === view.sortKey && view.sortDesc);
    }
    const fragment = document.createDocumentFragment();
    for (const row of shown) {
      const tr = document.createElement('tr');
      tr.dataset.series = row.name;
      tr.tabIndex = 0;
      tr.title = 'show this series in a panel';
      if (open.has(row.name)) tr.classList.add('open');
      for (const col of COLUMNS) {
        const td = document.createElement('td');
        td.textContent = col.numeric ? formatNumber(row[col.key]) : row[col.key];
        if (col.numeric) td.classList.add('num');
        tr.appendChild(td);
      }
      fragment.appendChild(tr);
    }
    tbody.replaceChildren(fragment);
    root.querySelector('#empty').hidden = rows.length > 0;
  }

  return {
    render,
    setOpen(names) {
      open = new Set(names);
      for (const tr of tbody.children) tr.classList.toggle('open', open.has(tr.dataset.series));
    },
  };
}

// The toolbar: range buttons, pause/resume, scatter/heatmap, linear/log.
// handlers: onRange(seconds), onPause(), onMode(mode), onScale(y).
export function createToolbar(root, { ranges, onRange, onPause, onMode, onScale }) {
  const bar = root.querySelector('#toolbar');
  const group = (label) => {
    const g = document.createElement('span');
    g.className = 'group';
    g.setAttribute('role', 'group');
    g.setAttribute('aria-label', label);
    bar.appendChild(g);
    return g;
  };
  const button = (parent, text, value, onClick) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.dataset.value = value;
    b.addEventListener('click', onClick);
    parent.appendChild(b);
    return b;
  };
  const rangeGroup = group('time range');
  for (const s of ranges) button(rangeGroup, `${s / 60} min`, String(s), () => onRange(s));
  const modeGroup = group('chart mode');
  button(modeGroup, 'points', 'scatter', () => onMode('scatter'));
  button(modeGroup, 'heatmap', 'heatmap', () => onMode('heatmap'));
  const scaleGroup = group('y axis');
  button(scaleGroup, 'linear', 'linear', () => onScale('linear'));
  button(scaleGroup, 'log', 'log', () => onScale('log'));
  const pause = button(group('pause'), 'pause', 'pause', onPause);
  pause.id = 'pause';

  const mark = (g, value) => {
    for (const b of g.children) b.setAttribute('aria-pressed', String(b.dataset.value === value));
  };
  return {
    show(view, paused) {
      mark(rangeGroup, String(view.rangeS));
      mark(modeGroup, view.mode);
      mark(scaleGroup, view.y);
      pause.textContent = paused ? 'resume' : 'pause';
      pause.setAttribute('aria-pressed', String(paused));
    },
  };
}

export function showConnection(root, state, text) {
  const el = root.querySelector('#connection');
  el.textContent = text;
  el.dataset.state = state === 'live' ? 'live' : 'down';
}

// The note over the panels: paused or not, how many panels.
export function showPanelsNote(root, text) {
  root.querySelector('#panels-note').textContent = text;
}

export function showFooter(root, hello, rowCount, server) {
  const parts = [];
  if (server) {
    parts.push(`ingest ${formatNumber(server.ingest_per_s)} samples/s`);
    parts.push(`${server.clients} dashboard${server.clients === 1 ? '' : 's'} connected`);
  }
  if (hello) parts.push(`push interval ${hello.push_interval_ms} ms`, `window ${Math.round(hello.window_s / 60)} min`);
  parts.push(`${rowCount} series`);
  root.querySelector('#footer-stats').textContent = parts.join(' · ');
}

export function showCurlExample(root) {
  const now = '$(date +%s%3N)';
  root.querySelector('#curl').textContent =
    `curl -X POST ${location.origin}/api/v1/points -H 'Content-Type: application/json' \\\n` +
    `  -d "{\\"checkout.db\\": [12.5, 8.1], \\"checkout.render\\": [[${now}, 4.2]]}"`;
}
