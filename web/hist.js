// hist.js - the server's histogram bucket scheme (announced in its hello),
// and percentiles of merged per-second histograms computed the way the
// server computes them (src/store/hist.c): nearest rank, the midpoint of the
// bucket holding that rank, clamped to the exact min and max. Pure, no DOM.

// The scheme of protocol v1, used until a hello says otherwise.
export const DEFAULT_SCHEME = { sub_buckets: 64, exp_min: -10, buckets: 2689 };

// Lower bound in ms of bucket b (bucket 0 holds [0, 2^exp_min)).
export function bucketLower(scheme, b) {
  if (b <= 0) return 0;
  const k = b - 1;
  const sub = scheme.sub_buckets;
  return 2 ** (Math.floor(k / sub) + scheme.exp_min) * (1 + (k % sub) / sub);
}

// Upper bound in ms of bucket b (exclusive).
export function bucketUpper(scheme, b) {
  if (b <= 0) return 2 ** scheme.exp_min;
  const k = b - 1;
  const sub = scheme.sub_buckets;
  return 2 ** (Math.floor(k / sub) + scheme.exp_min) * (1 + ((k % sub) + 1) / sub);
}

// Nearest rank: the 1-based rank ceil(q * n), clamped to [1, n]; a q * n that
// should be an integer but comes out a hair above it is taken as that integer.
export function rank(q, n) {
  if (!(q > 0)) return 1;
  if (q >= 1) return n;
  const x = q * n;
  let r = Math.ceil(x);
  if (r - x > 1 - 1e-9 * (x > 1 ? x : 1)) r -= 1;
  if (r < 1) return 1;
  return r >= n ? n : r;
}

// Quantiles qs (ascending) of a merged histogram. `counts` maps bucket ->
// count (a Map), `total` is the sum of its counts, min/max the exact extremes.
export function quantiles(scheme, counts, total, min, max, qs) {
  if (total === 0) return qs.map(() => NaN);
  const buckets = [...counts.keys()].sort((a, b) => a - b);
  const out = [];
  let cum = 0;
  let i = 0;
  for (const q of qs) {
    const r = rank(q, total);
    while (i < buckets.length - 1 && cum + counts.get(buckets[i]) < r) cum += counts.get(buckets[i++]);
    if (r >= total) out.push(max);
    else if (r <= 1) out.push(min);
    else {
      const b = buckets[i];
      const v = 0.5 * (bucketLower(scheme, b) + bucketUpper(scheme, b));
      out.push(Math.min(Math.max(v, min), max));
    }
  }
  return out;
}

// The same quantiles of a dense histogram: counts[b] for every bucket b of
// the scheme (a Float64Array of scheme.buckets), which callers fill by
// adding; cheaper than a Map for merging many seconds.
export function quantilesDense(scheme, counts, total, min, max, qs) {
  if (total === 0) return qs.map(() => NaN);
  const out = [];
  let cum = 0;
  let b = 0;
  const last = counts.length - 1;
  for (const q of qs) {
    const r = rank(q, total);
    if (r >= total) out.push(max);
    else if (r <= 1) out.push(min);
    else {
      while (b < last && (counts[b] === 0 || cum + counts[b] < r)) cum += counts[b++];
      const v = 0.5 * (bucketLower(scheme, b) + bucketUpper(scheme, b));
      out.push(Math.min(Math.max(v, min), max));
    }
  }
  return out;
}
