import { ArgumentError, type Generator } from '../tensor/index';
import { sizeOf } from '../tensor/shape';

// The masks of torch.nn.utils.prune's methods, on flat float32 data and a shape (internal to
// compress: prune.ts validates, reparametrizes and exports the public functions).

/** One pruning method: its kind (PyTorch's PRUNING_TYPE) and its mask for a tensor. @internal */
export interface Method {
  kind: 'unstructured' | 'structured' | 'global';
  /** The structured axis (normalised), for 'structured'. */
  dim?: number;
  /** The mask of `t` (values `data`, shape `shape`), starting from `defaultMask` (not modified). */
  computeMask(data: Float32Array, shape: readonly number[], defaultMask: Float32Array, where: string): Float32Array;
}

/** A checked amount: a fraction or a count. @internal */
export type Amount = { fraction: number } | { count: number };

/** An amount as written by the user. @internal */
export function fmtAmount(a: Amount): string {
  return 'count' in a ? `{ count: ${a.count} }` : `${a.fraction}`;
}

/** Python's `round`: to the nearest integer, halves to even (what PyTorch's fraction amounts use). @internal */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** The number to prune: the count, or round(fraction · size) half to even; checked against `size`. @internal */
export function toPrune(op: string, a: Amount, size: number, what: string): number {
  if ('count' in a) {
    if (a.count > size) throw new ArgumentError(`${op}: amount ${fmtAmount(a)} is more than the ${size} ${what}`);
    return a.count;
  }
  return roundHalfEven(a.fraction * size);
}


/**
 * Indices of `vals` in ascending order, ties by index (a stable order). torch.topk's pick among
 * equal values depends on its selection algorithm; this one is deterministic, and agrees with it
 * on the committed fixtures.
 */
function argsortAsc(vals: Float64Array | Float32Array): Int32Array {
  const idx = new Int32Array(vals.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => vals[a] - vals[b] || a - b);
  return idx;
}

function unstructured(op: string, a: Amount, score: (data: Float32Array) => Float32Array | Float64Array): Method {
  return {
    kind: 'unstructured',
    computeMask(data, _shape, defaultMask, where) {
      const k = toPrune(op, a, data.length, `unpruned entries of ${where}`);
      const mask = Float32Array.from(defaultMask);
      if (k === 0) return mask;
      const order = argsortAsc(score(data));
      for (let i = 0; i < k; i++) mask[order[i]] = 0;
      return mask;
    },
  };
}

/** L1 (|w|) magnitude ranking. @internal */
export function l1Method(op: string, a: Amount): Method {
  return unstructured(op, a, (data) => {
    const s = new Float32Array(data.length);
    for (let i = 0; i < s.length; i++) s[i] = Math.abs(data[i]);
    return s;
  });
}

/** Uniform random ranking. @internal */
export function randomMethod(op: string, a: Amount, g: Generator): Method {
  // PyTorch prunes the k largest of uniform draws; ranking −u ascending is the same.
  return unstructured(op, a, (data) => {
    const s = new Float64Array(data.length);
    for (let i = 0; i < s.length; i++) s[i] = -g.random();
    return s;
  });
}

/** The Lp norm of each slice along `dim` of a tensor of `shape`, rounded to float32 as torch's. */
function sliceNorms(data: Float32Array, shape: readonly number[], dim: number, p: number): Float64Array {
  const D = shape[dim];
  const I = sizeOf(shape.slice(dim + 1));
  const O = sizeOf(shape.slice(0, dim));
  const acc = new Float64Array(D);
  if (p === -Infinity) acc.fill(Infinity);
  for (let o = 0; o < O; o++) {
    for (let d = 0; d < D; d++) {
      const base = (o * D + d) * I;
      let s = acc[d];
      for (let i = 0; i < I; i++) {
        const v = Math.abs(data[base + i]);
        if (p === Infinity) s = v > s ? v : s;
        else if (p === -Infinity) s = v < s ? v : s;
        else if (p === 0) s += v !== 0 ? 1 : 0;
        else if (p === 1) s += v;
        else if (p === 2) s += v * v;
        else s += v ** p;
      }
      acc[d] = s;
    }
  }
  for (let d = 0; d < D; d++) {
    const s = acc[d];
    acc[d] = Math.fround(p === Infinity || p === -Infinity || p === 0 || p === 1 ? s : p === 2 ? Math.sqrt(s) : s ** (1 / p));
  }
  return acc;
}

/** Lp-norm ranking of the slices along `dim`. @internal */
export function lnMethod(op: string, a: Amount, p: number, dim: number): Method {
  return {
    kind: 'structured',
    dim,
    computeMask(data, shape, defaultMask, where) {
      const D = shape[dim];
      const k = toPrune(op, a, D, `unpruned channels along dim ${dim} of ${where}`);
      if (k === 0) return Float32Array.from(defaultMask);
      // Keep the D − k largest norms, ties to the lower index (torch.topk(largest=True) on the fixtures).
      const norms = sliceNorms(data, shape, dim, p);
      const neg = new Float64Array(D);
      for (let d = 0; d < D; d++) neg[d] = -norms[d];
      const order = argsortAsc(neg);
      const keep = new Uint8Array(D);
      for (let i = 0; i < D - k; i++) keep[order[i]] = 1;
      const I = sizeOf(shape.slice(dim + 1));
      const mask = new Float32Array(data.length);
      for (let j = 0; j < mask.length; j++) mask[j] = keep[Math.floor(j / I) % D] === 1 ? defaultMask[j] : 0;
      return mask;
    },
  };
}

/** A user mask multiplied into the current one. @internal */
export function customMethod(custom: Float32Array): Method {
  return {
    kind: 'global',
    computeMask(_data, _shape, defaultMask) {
      const mask = new Float32Array(defaultMask.length);
      for (let i = 0; i < mask.length; i++) mask[i] = defaultMask[i] * custom[i];
      return mask;
    },
  };
}

/**
 * PyTorch's PruningContainer.compute_mask: the new method sees only what `mask` keeps — the
 * entries equal to 1 (unstructured), the channels along its dim with any non-zero mask entry
 * (structured), or everything (a custom mask) — and its mask is written back into those places.
 * @internal
 */
export function combine(method: Method, t: Float32Array, shape: readonly number[], mask: Float32Array, where: string): Float32Array {
  const out = Float32Array.from(mask);
  if (method.kind === 'global') return method.computeMask(t, shape, mask, where);
  if (method.kind === 'unstructured') {
    let n = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 1) n++;
    const idx = new Int32Array(n);
    const sub = new Float32Array(n);
    for (let i = 0, j = 0; i < mask.length; i++) if (mask[i] === 1) { idx[j] = i; sub[j++] = t[i]; }
    const part = method.computeMask(sub, [n], new Float32Array(n).fill(1), where);
    for (let j = 0; j < n; j++) out[idx[j]] = part[j];
    return out;
  }
  const dim = method.dim!;
  const D = shape[dim];
  const I = sizeOf(shape.slice(dim + 1));
  const O = sizeOf(shape.slice(0, dim));
  const kept: number[] = [];
  for (let d = 0; d < D; d++) {
    let s = 0;
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) s += mask[(o * D + d) * I + i];
    if (s !== 0) kept.push(d);
  }
  const K = kept.length;
  const subShape = shape.slice();
  subShape[dim] = K;
  const sub = new Float32Array(O * K * I);
  const subMask = new Float32Array(O * K * I);
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < K; c++) {
      const from = (o * D + kept[c]) * I, to = (o * K + c) * I;
      for (let i = 0; i < I; i++) {
        sub[to + i] = t[from + i];
        subMask[to + i] = mask[from + i];
      }
    }
  }
  const part = method.computeMask(sub, subShape, subMask, where);
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < K; c++) {
      const from = (o * K + c) * I, to = (o * D + kept[c]) * I;
      for (let i = 0; i < I; i++) out[to + i] = part[from + i];
    }
  }
  return out;
}
