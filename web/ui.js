// ui.js - the series list (live stats, grouped by name, filter by text or
// selector, sort by any column, click a row to open its panel), the toolbar (range, pause, mode, y scale),
// the connection badge, the selector box and the footer. Every user-supplied
// string (series names, label values, selectors, server errors) is set with
// textContent, never as HTML.

import { splitKey } from './keys.js';

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

// Rows are grouped by name: a name with label combinations is one group row
// (rate, count and max added up over them; its p50 and p99 need the
// histograms, so the group row leaves them out and opens the merged roll-up
// panel) with its series folded under it, one row each showing its label
// values. A name with no labels at all is a plain row. handlers:
// onSelect(key) opens a series' live panel, onSelectName(name) the roll-up
// panel of all the name's series.
export function createSeriesList(root, { onSelect, onSelectName }) {
  const view = { sortKey: 'name', sortDesc: false, filter: '' };
  let open = new Set(); // series with a panel
  let match = null; // keys the selector box matches, or null: all
  const expanded = new Set(); // names whose label combinations are shown
  const table = root.querySelector('#series-table');
  const thead = table.querySelector('thead tr');
  const tbody = table.querySelector('tbody');
  let lastRows = [];
  // A tree of rows (names, their series): arrows move, fold and unfold.
  table.setAttribute('role', 'treegrid');
  table.setAttribute('aria-label', 'series, grouped by name');

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
  const toggle = (name, focus) => {
    if (expanded.has(name)) expanded.delete(name);
    else expanded.add(name);
    render(lastRows, focus);
  };
  tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (!tr) return;
    if (e.target.closest('button.fold')) toggle(tr.dataset.group, { group: tr.dataset.group, fold: true });
    else if (tr.dataset.series !== undefined) onSelect(tr.dataset.series);
    else if (tr.dataset.group !== undefined) onSelectName(tr.dataset.group);
  });
  tbody.addEventListener('keydown', (e) => {
    const tr = e.target.closest('tr');
    if (!tr || e.target.closest('button.fold')) return; // the button handles its own keys
    const group = tr.dataset.group ?? tr.dataset.parent;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (tr.dataset.series !== undefined) onSelect(tr.dataset.series);
      else onSelectName(tr.dataset.group);
    } else if (e.key === 'ArrowRight' && tr.dataset.group !== undefined && !expanded.has(group)) {
      e.preventDefault();
      toggle(group, { group });
    } else if (e.key === 'ArrowLeft' && group !== undefined) {
      e.preventDefault();
      if (expanded.has(group)) toggle(group, { group });
      else [...tbody.children].find((r) => r.dataset.group === group)?.focus();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling)?.focus();
    }
  });

  const cmp = (x, y) => {
    const c = typeof x === 'string' ? x.localeCompare(y) : (Number.isFinite(x) ? x : -1) - (Number.isFinite(y) ? y : -1);
    return view.sortDesc ? -c : c;
  };

  // A row's cells. A series with no sample in the window (count 0) has no
  // p50, p99 or max: `–`, not 0 ms.
  function cells(tr, values, first) {
    const td0 = document.createElement('td');
    td0.append(...first);
    tr.appendChild(td0);
    for (const col of COLUMNS.slice(1)) {
      const td = document.createElement('td');
      const none = !values.count && ['p50', 'p99', 'max'].includes(col.key);
      td.textContent = none ? '–' : formatNumber(values[col.key]);
      td.classList.add('num');
      tr.appendChild(td);
    }
  }

  // Which row had the focus (re-rendering replaces the rows every second).
  function focused() {
    const a = document.activeElement;
    const tr = a?.closest?.('#series-table tbody tr');
    if (!tr) return null;
    return { series: tr.dataset.series, group: tr.dataset.group, fold: a.classList.contains('fold') };
  }

  const nameSpan = (text) => {
    const span = document.createElement('span');
    span.className = 'series-name';
    span.textContent = text;
    span.title = text; // the whole name where it is cut with …
    return span;
  };

  function render(rows, focus = focused()) {
    lastRows = rows;
    const groups = new Map(); // name -> {name, rows: [{row, labels}]}
    for (const row of rows) {
      if (match && !match.has(row.name)) continue;
      if (view.filter && !row.name.toLowerCase().includes(view.filter)) continue;
      const { name, labels } = splitKey(row.name);
      if (!groups.has(name)) groups.set(name, { name, rows: [] });
      groups.get(name).rows.push({ row, labels });
    }
    for (const g of groups.values()) {
      g.plain = g.rows.length === 1 && g.rows[0].labels.length === 0;
      const sum = (k) => g.rows.reduce((a, r) => a + r.row[k], 0);
      g.agg = g.plain ? g.rows[0].row : {
        name: g.name, rate: sum('rate'), count: sum('count'), p50: NaN, p99: NaN,
        max: Math.max(...g.rows.map((r) => (Number.isFinite(r.row.max) ? r.row.max : -Infinity))),
      };
      g.rows.sort((a, b) => cmp(a.row[view.sortKey], b.row[view.sortKey]));
    }
    const sortOf = (g) => (view.sortKey === 'name' || g.plain || Number.isFinite(g.agg[view.sortKey])
      ? g.agg[view.sortKey] : Math.max(...g.rows.map((r) => r.row[view.sortKey])));
    const shown = [...groups.values()].sort((a, b) => cmp(view.sortKey === 'name' ? a.name : sortOf(a), view.sortKey === 'name' ? b.name : sortOf(b)));
    for (const th of thead.children) {
      th.classList.toggle('sorted', th.dataset.key === view.sortKey);
      th.classList.toggle('desc', th.dataset.key === view.sortKey && view.sortDesc);
    }
    const fragment = document.createDocumentFragment();
    let refocus = null;
    for (const g of shown) {
      if (g.plain) {
        const { row } = g.rows[0];
        const tr = document.createElement('tr');
        tr.dataset.series = row.name;
        tr.tabIndex = 0;
        tr.setAttribute('aria-level', '1');
        tr.title = 'show this series in a panel';
        if (open.has(row.name)) tr.classList.add('open');
        cells(tr, row, [nameSpan(row.name)]);
        fragment.appendChild(tr);
        if (focus && focus.series === row.name) refocus = tr;
        continue;
      }
      const isOpen = expanded.has(g.name);
      const tr = document.createElement('tr');
      tr.className = 'group';
      tr.dataset.group = g.name;
      tr.tabIndex = 0;
      tr.setAttribute('aria-level', '1');
      tr.title = 'show all these series merged in a panel (arrow right / left: show / hide their labels)';
      tr.setAttribute('aria-expanded', String(isOpen));
      const fold = document.createElement('button');
      fold.type = 'button';
      fold.className = 'fold';
      fold.textContent = isOpen ? '▾' : '▸';
      fold.setAttribute('aria-expanded', String(isOpen));
      fold.setAttribute('aria-label', `${isOpen ? 'hide' : 'show'} the ${g.rows.length} label combinations`);
      const label = nameSpan(g.name);
      const n = document.createElement('span');
      n.className = 'combos';
      n.textContent = ` ${g.rows.length} series`;
      cells(tr, g.agg, [fold, label, n]);
      fragment.appendChild(tr);
      if (focus && focus.group === g.name) refocus = focus.fold ? fold : tr;
      if (!isOpen) continue;
      for (const { row, labels } of g.rows) {
        const child = document.createElement('tr');
        child.className = 'child';
        child.dataset.series = row.name;
        child.dataset.parent = g.name;
        child.tabIndex = 0;
        child.setAttribute('aria-level', '2');
        child.title = 'show this series in a panel';
        if (open.has(row.name)) child.classList.add('open');
        const chips = labels.length ? labels.map(([k, v]) => {
          const chip = document.createElement('span');
          chip.className = 'label';
          chip.title = `${k}=${v}`; // the whole value where it is cut short
          const key = document.createElement('span');
          key.className = 'label-key';
          key.textContent = `${k}=`;
          const value = document.createElement('span');
          value.className = 'label-value';
          value.textContent = v;
          chip.append(key, value);
          return chip;
        }) : [Object.assign(document.createElement('span'), { className: 'label-none', textContent: 'no labels' })];
        cells(child, row, chips);
        fragment.appendChild(child);
        if (focus && focus.series === row.name) refocus = child;
      }
    }
    tbody.replaceChildren(fragment);
    refocus?.focus({ preventScroll: true });
    root.querySelector('#empty').hidden = rows.length > 0;
  }

  return {
    render,
    // The window the figures cover (the summary's `seconds`).
    setWindow(seconds) {
      root.querySelector('#list-window').textContent = `figures of the last ${seconds} s (rate/s: count / ${seconds} s)`;
    },
    setOpen(names) {
      open = new Set(names);
      for (const tr of tbody.children) tr.classList.toggle('open', open.has(tr.dataset.series));
    },
    // Only these keys (a Set), or all (null).
    setMatch(keys) {
      match = keys;
      render(lastRows);
    },
  };
}

// The selector box: a selector typed in filters the list through
// /api/v1/series?match= (app.js asks); the server's error is shown next to
// it as text. handlers: onChange(text) (debounced), onOpen(text) (the
// button, or Enter: a roll-up panel of the selector).
export function createSelectorBox(root, { onChange, onOpen }) {
  const input = root.querySelector('#selector');
  const error = root.querySelector('#selector-error');
  const button = root.querySelector('#selector-open');
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => onChange(input.value.trim()), 250);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    clearTimeout(timer);
    onChange(input.value.trim());
    if (input.value.trim()) onOpen(input.value.trim());
  });
  button.addEventListener('click', () => input.value.trim() && onOpen(input.value.trim()));
  return {
    set(text) {
      if (input.value.trim() !== text) input.value = text;
    },
    showError(text) {
      error.textContent = text;
      input.setAttribute('aria-invalid', String(!!text));
    },
  };
}

// The toolbar: range buttons, step of the lines, pause/resume,
// scatter/heatmap, linear/log. handlers: onRange(seconds), onStep(seconds,
// 0 auto), onPause(), onMode(mode), onScale(y).
export function createToolbar(root, { ranges, steps, onRange, onStep, onPause, onMode, onScale }) {
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
  const stepGroup = group('step of the lines');
  for (const s of steps) {
    const b = button(stepGroup, s === 0 ? 'auto' : s < 60 ? `${s} s` : `${s / 60} min`, `step-${s}`, () => onStep(s));
    b.title = s === 0 ? 'lines in steps of about 1/300 of the range' : `lines in steps of ${s} s`;
  }
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
      mark(stepGroup, `step-${view.stepS}`);
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

// Stale data: while the connection is down (since `since`, unix ms, or 0
// when live again), the list and the panels are greyed (class `stale`) and
// a note says since when their figures stopped updating.
export function showStale(root, since) {
  const stale = since > 0;
  root.querySelector('#list').classList.toggle('stale', stale);
  root.querySelector('#panels-area').classList.toggle('stale', stale);
  const note = root.querySelector('#stale-note');
  note.hidden = !stale;
  if (stale) {
    const d = new Date(since);
    const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    note.textContent = `disconnected: the figures shown are from ${hms} and are not updating`;
  } else note.textContent = '';
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
