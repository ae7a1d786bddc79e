// detail.js - what the dashboard holds of one subscribed series: its
// seconds, keyed by start_ms, as the server's "detail" messages send them.
// Pure data, no DOM.
//
// A second is always sent whole and may be sent again (a late sample, the
// open second filling up): each second named in a message replaces what was
// held for that start_ms, so after applying every message the client holds
// each second as the server does. reset:true drops everything first.
//
// Memory: a second holds its 8-number row, its kept raw points as a
// Float32Array of (offset_ms, ms) pairs (the server keeps them as 32-bit
// floats, so nothing is lost) and its histogram as a Uint32Array of
// (bucket, count) pairs. Seconds older than the view's range are dropped
// (prune), so a series costs at most range x (raw-per-second x 8 B + a few
// hundred bytes), about 1.5 MB for 30 minutes at 100 points a second.

import { bucketLower, bucketUpper, quantilesDense } from './hist.js';

// Columns of a seconds row (as the protocol's seconds_columns).
export const ROW = { start: 0, count: 1, sum: 2, min: 3, max: 4, p50: 5, p90: 6, p99: 7 };

const EMPTY_RAW = new Float32Array(0);
const EMPTY_HIST = new Uint32Array(0);

export class SeriesData {
  constructor(name) {
    this.name = name;
    this.bySecond = new Map(); // start_ms -> {row, raw, hist}
    this.starts = []; // the keys of bySecond, ascending
    this.points = 0; // raw points held
    this.version = 0; // bumped on every change (views rebuild only then)
    this.loading = true; // a snapshot is being received (more: true)
  }

  clear() {
    this.stepCache = null;
    this.bySecond.clear();
    this.starts = [];
    this.points = 0;
    this.version++;
  }

  // Applies one detail message of this series.
  apply(msg) {
    if (msg.reset) this.clear();
    this.loading = !!msg.more;
    const fresh = new Map();
    const entry = (start) => {
      let e = fresh.get(start);
      if (!e) fresh.set(start, (e = { row: null, raw: EMPTY_RAW, hist: EMPTY_HIST }));
      return e;
    };
    for (const row of msg.seconds ?? []) entry(row[0]).row = Float64Array.from(row);
    for (const [start, flat] of msg.raw ?? []) entry(start).raw = Float32Array.from(flat);
    for (const [start, flat] of msg.hist ?? []) entry(start).hist = Uint32Array.from(flat);
    let appendOnly = true;
    for (const [start, e] of fresh) {
      const old = this.bySecond.get(start);
      if (old) this.points -= old.raw.length / 2;
      else {
        if (this.starts.length && start < this.starts[this.starts.length - 1]) appendOnly = false;
        this.starts.push(start);
      }
      this.points += e.raw.length / 2;
      this.bySecond.set(start, e);
      this.forgetStep(start);
    }
    if (!appendOnly) this.starts.sort((a, b) => a - b);
    this.version++;
  }

  // Drops the seconds that start before minStart.
  prune(minStart) {
    let n = 0;
    while (n < this.starts.length && this.starts[n] < minStart) {
      this.points -= this.bySecond.get(this.starts[n]).raw.length / 2;
      this.bySecond.delete(this.starts[n]);
      this.forgetStep(this.starts[n]);
      n++;
    }
    if (this.stepCache) {
      for (const t of this.stepCache.map.keys()) if (t + this.stepCache.stepMs <= minStart) this.stepCache.map.delete(t);
    }
    if (n) {
      this.starts.splice(0, n);
      this.version++;
    }
  }

  // Index of the first second starting at or after t.
  firstAt(t) {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // The seconds in [since, until) as an index range [i, j).
  span(since, until) {
    return [this.firstAt(since), this.firstAt(until)];
  }

  // Raw points of [since, until) for a scatter: a flat Float64Array of
  // (unix_ms, ms) pairs; values below `floor` are raised to it (log axes).
  scatter(since, until, floor = 0) {
    const [i, j] = this.span(since, until);
    let n = 0;
    for (let k = i; k < j; k++) n += this.bySecond.get(this.starts[k]).raw.length;
    const out = new Float64Array(n);
    let o = 0;
    for (let k = i; k < j; k++) {
      const start = this.starts[k];
      const raw = this.bySecond.get(start).raw;
      for (let p = 0; p < raw.length; p += 2) {
        out[o++] = start + raw[p];
        const v = raw[p + 1];
        out[o++] = v < floor ? floor : v;
      }
    }
    return out;
  }

  // Count, min, max and percentiles of [since, until), merging the seconds'
  // histograms as the server's query API does (never averaging percentiles).
  summary(scheme, since, until, qs = [0.5, 0.9, 0.99]) {
    const [i, j] = this.span(since, until);
    const acc = this.acc(scheme);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let k = i; k < j; k++) {
      const { row, hist } = this.bySecond.get(this.starts[k]);
      if (row) {
        min = Math.min(min, row[ROW.min]);
        max = Math.max(max, row[ROW.max]);
        sum += row[ROW.sum];
      }
      acc.add(hist);
    }
    const total = acc.total;
    const q = total ? quantilesDense(scheme, acc.counts, total, min, max, qs) : qs.map(() => NaN);
    acc.reset();
    return { count: total, sum, min: total ? min : NaN, max: total ? max : NaN, quantiles: q };
  }

  // A dense histogram to merge seconds into (one per series, reused):
  // add(hist) adds a second's (bucket, count) pairs, reset() clears only
  // the buckets touched.
  acc(scheme) {
    if (!this.dense || this.dense.counts.length !== scheme.buckets) {
      const counts = new Float64Array(scheme.buckets);
      const touched = [];
      const last = scheme.buckets - 1;
      this.dense = {
        counts, total: 0,
        add(hist) {
          for (let p = 0; p < hist.length; p += 2) {
            const b = hist[p] > last ? last : hist[p];
            if (counts[b] === 0) touched.push(b);
            counts[b] += hist[p + 1];
            this.total += hist[p + 1];
          }
        },
        reset() {
          for (const b of touched) counts[b] = 0;
          touched.length = 0;
          this.total = 0;
        },
      };
    }
    return this.dense;
  }

  // Per-step figures of [since, until), steps of stepMs aligned to
  // multiples of stepMs since the epoch (as GET /api/v1/rollup aligns them,
  // so the same step holds the same seconds in both): each step merges its
  // seconds' histograms bucket by bucket and takes the quantiles qs of the
  // merge, clamped to the step's exact min and max, as the server does.
  // Never an average of per-second percentiles. Returns {start, count, max,
  // q: [per q: Float64Array]}, one entry per step including empty ones
  // (count 0, quantiles NaN), so a caller can break its lines there.
  //
  // A step wholly inside the range is kept (stepCache) until one of its
  // seconds is sent again or dropped: a live update recomputes only the
  // steps that changed and the cut ones at the ends.
  steps(scheme, since, until, stepMs, qs) {
    const key = `${stepMs}/${qs.join(',')}/${scheme.sub_buckets}/${scheme.exp_min}`;
    if (this.stepCache?.key !== key) this.stepCache = { key, stepMs, map: new Map() };
    const cache = this.stepCache.map;
    const first = Math.floor(since / stepMs) * stepMs;
    const n = Math.max(0, Math.ceil((until - first) / stepMs));
    const start = new Float64Array(n);
    const count = new Float64Array(n);
    const max = new Float64Array(n).fill(NaN);
    const q = qs.map(() => new Float64Array(n).fill(NaN));
    const acc = this.acc(scheme);
    let [k, j] = this.span(since, until);
    for (let s = 0; s < n; s++) {
      const t = first + s * stepMs;
      start[s] = t;
      const end = Math.min(t + stepMs, until);
      const whole = t >= since && t + stepMs <= until;
      let hit = whole ? cache.get(t) : undefined;
      if (hit) {
        while (k < j && this.starts[k] < end) k++;
      } else {
        let lo = Infinity;
        let hi = -Infinity;
        for (; k < j && this.starts[k] < end; k++) {
          const { row, hist } = this.bySecond.get(this.starts[k]);
          if (row) {
            if (row[ROW.min] < lo) lo = row[ROW.min];
            if (row[ROW.max] > hi) hi = row[ROW.max];
          }
          acc.add(hist);
        }
        const total = acc.total;
        hit = { count: total, max: hi, q: total ? quantilesDense(scheme, acc.counts, total, lo, hi, qs) : null };
        acc.reset();
        // (An empty step costs nothing to redo, and no second of it would
        // ever evict it: it is not kept.)
        if (whole && total) cache.set(t, hit);
      }
      if (!hit.count) continue;
      count[s] = hit.count;
      max[s] = hit.max;
      for (let i = 0; i < qs.length; i++) q[i][s] = hit.q[i];
    }
    return { start, count, max, q };
  }

  // Forgets the kept step holding the second `start` (it changed or left).
  forgetStep(start) {
    if (!this.stepCache) return;
    const m = this.stepCache.stepMs;
    this.stepCache.map.delete(Math.floor(start / m) * m);
  }

  // Heatmap cells of [since, until): columns of colMs (aligned to multiples
  // of colMs, so a column keeps its seconds as the view moves), rows of
  // `perOctave` histogram bands per power of two. A flat Float64Array of
  // (t0, t1, lo_ms, hi_ms, count) and the largest count.
  heatmap(scheme, since, until, colMs, perOctave, floor = 0) {
    const [i, j] = this.span(since, until);
    const group = Math.max(1, Math.floor(scheme.sub_buckets / perOctave));
    const cells = new Map(); // col * 65536 + band -> count
    for (let k = i; k < j; k++) {
      const start = this.starts[k];
      const { hist } = this.bySecond.get(start);
      const col = Math.floor(start / colMs);
      for (let p = 0; p < hist.length; p += 2) {
        const b = hist[p];
        const band = b === 0 ? 0 : 1 + Math.floor((b - 1) / group);
        const key = col * 65536 + band;
        cells.set(key, (cells.get(key) ?? 0) + hist[p + 1]);
      }
    }
    const out = new Float64Array(5 * cells.size);
    let o = 0;
    let top = 0;
    for (const [key, count] of cells) {
      const col = Math.floor(key / 65536);
      const band = key % 65536;
      const lo = band === 0 ? 0 : bucketLower(scheme, 1 + (band - 1) * group);
      const hi = band === 0 ? bucketUpper(scheme, 0) : bucketUpper(scheme, band * group);
      out[o++] = col * colMs;
      out[o++] = (col + 1) * colMs;
      out[o++] = Math.max(lo, floor);
      out[o++] = Math.max(hi, floor);
      out[o++] = count;
      if (count > top) top = count;
    }
    return { cells: out, top };
  }
}
