// url.js - the view in the URL's hash, so a link reopens the same view:
//   #range=5m&mode=scatter&y=linear&s=checkout.db&s=checkout.render
//   &sel=http.req{status=~"5.."}&r=/http.req&r=status/http.req
// `s` once per open live panel, in order (names percent-encoded as any
// query value); `r` once per roll-up panel, `BY/SELECTOR` (BY empty for all
// matching series merged, else the label it is split by: label keys have no
// `/`); `sel` the selector box; range 1m, 5m, 15m or 30m; mode scatter or
// heatmap; y log (default) or linear; step (of the lines) 1s, 5s, 10s, 30s
// or 60s, absent for auto (about 300 steps a range, see stepOf).

export const RANGES_S = [60, 300, 900, 1800];
export const MODES = ['scatter', 'heatmap'];
export const Y_SCALES = ['linear', 'log'];
// Steps of the panels' lines (seconds); 0: auto, about 300 steps a range.
export const STEPS_S = [0, 1, 5, 10, 30, 60];
export const MAX_PANELS = 20;
export const MAX_ROLLUPS = 10;
export const MAX_SELECTOR = 1024; // bytes, the server's limit


export function defaultView() {
  return { series: [], rollups: [], selector: '', rangeS: 300, mode: 'scatter', y: 'log', stepS: 0 };
}

// The server's rule for names (src/core/seriesname.h): 1-200 bytes of
// UTF-8, no control characters, no leading "/", "//", "." or ".." segment
// (a path would fold those, so the series could not be queried).
export function isSeriesName(name) {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes < 1 || bytes > 200) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return false;
  const segments = name.split('/');
  return segments.every((seg, i) => seg !== '.' && seg !== '..' && (seg !== '' || i === segments.length - 1));
}

// The step of the lines in seconds: the view's, or auto: 1 s up to 5 min,
// 3 s at 15 and 6 s at 30 (about 300 steps). Never more steps than seconds.
export function stepOf(view) {
  return view.stepS || Math.max(1, Math.ceil(view.rangeS / 300));
}

export function parseHash(hash) {
  const view = defaultView();
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const range = /^(\d+)m$/.exec(params.get('range') ?? '');
  if (range && RANGES_S.includes(Number(range[1]) * 60)) view.rangeS = Number(range[1]) * 60;
  if (MODES.includes(params.get('mode'))) view.mode = params.get('mode');
  if (Y_SCALES.includes(params.get('y'))) view.y = params.get('y');
  const step = /^(\d+)s$/.exec(params.get('step') ?? '');
  if (step && STEPS_S.includes(Number(step[1]))) view.stepS = Number(step[1]);
  for (const name of params.getAll('s')) {
    if (isSeriesName(name) && !view.series.includes(name)) view.series.push(name);
  }
  view.series = view.series.slice(0, MAX_PANELS);
  const sel = params.get('sel') ?? '';
  if (sel.length <= MAX_SELECTOR) view.selector = sel;
  for (const r of params.getAll('r')) {
    const slash = r.indexOf('/');
    const by = r.slice(0, slash);
    const match = r.slice(slash + 1);
    if (slash < 0 || !/^([a-zA-Z_][a-zA-Z0-9_]*)?$/.test(by) || !match || match.length > MAX_SELECTOR) continue;
    if (!view.rollups.some((x) => x.match === match)) view.rollups.push({ match, by });
  }
  view.rollups = view.rollups.slice(0, MAX_ROLLUPS);
  return view;
}

export function formatHash(view) {
  const params = new URLSearchParams();
  params.set('range', `${view.rangeS / 60}m`);
  params.set('mode', view.mode);
  params.set('y', view.y);
  if (view.stepS) params.set('step', `${view.stepS}s`);
  for (const name of view.series) params.append('s', name);
  for (const r of view.rollups) params.append('r', `${r.by}/${r.match}`);
  if (view.selector) params.set('sel', view.selector);
  return `#${params}`;
}
