import { record, type OpAttrs } from '../autograd';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { kernels as K } from '../kernels/backend';
import { num, parseOptions } from '../options';
import { broadcastStrides, checkShape, describe, normAxis, sameShape, sizeOf, stridesOf } from '../shape';
import { Tensor } from '../tensor';

function need(x: unknown, op: string, arg = 'x'): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: ${arg} must be a Tensor, got ${describe(x)}`);
  return x;
}

/** A view of x's buffer with another shape; backward adds dy straight through. */
function view(op: string, x: Tensor, shape: number[], attrs: OpAttrs): Tensor {
  const out = new Tensor(x.data, shape);
  return record(op, out, [x], (dy) => {
    if (x.requiresGrad) K.addInto(x.gradBuffer(), dy, x.size);
  }, attrs);
}

/**
 * Same data, new shape (a view: the buffer is shared). One dimension may be −1 and is inferred.
 * Shapes: x (…) → shape, with equal sizes. Gradient: dy reshaped back.
 * @example reshape(arange(6), [2, -1]).shape; // [2, 3]
 * @throws ShapeError if the sizes differ; ArgumentError on more than one −1.
 * @category Shape
 */
export function reshape(xIn: Tensor, shape: readonly number[]): Tensor {
  const x = need(xIn, 'reshape');
  if (!Array.isArray(shape)) throw new ArgumentError(`reshape: shape must be an array, got ${describe(shape)}`);
  let infer = -1;
  let known = 1;
  const s = shape.slice();
  for (let i = 0; i < s.length; i++) {
    if (s[i] === -1) {
      if (infer >= 0) throw new ArgumentError(`reshape: only one dimension can be -1, got ${fmtShape(shape)}`);
      infer = i;
    } else {
      if (!Number.isSafeInteger(s[i]) || s[i] < 0) throw new ArgumentError(`reshape: dimensions must be non-negative integers or -1, got ${fmtShape(shape)}`);
      known *= s[i];
    }
  }
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
    s[infer] = x.size / known;
  }
  if (sizeOf(s) !== x.size) throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)} (${sizeOf(s)} elements)`);
  return view('reshape', x, s, { shape: s });
}

/**
 * Merges axes startAxis … endAxis into one (a view).
 * Shapes: (…, d_s, …, d_e, …) → (…, d_s·…·d_e, …).
 * @example flatten(zeros([2, 3, 4]), 1).shape; // [2, 12]
 * @category Shape
 */
export function flatten(xIn: Tensor, startAxis = 0, endAxis = -1): Tensor {
  const x = need(xIn, 'flatten');
  if (x.ndim === 0) return view('flatten', x, [1], { startAxis: 0, endAxis: 0 });
  const s = normAxis(startAxis, x.ndim, 'flatten', x.shape);
  const e = normAxis(endAxis, x.ndim, 'flatten', x.shape);
  if (s > e) throw new ArgumentError(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis} for shape ${fmtShape(x.shape)}`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return view('flatten', x, shape, { startAxis: s, endAxis: e });
}

/**
 * Removes size-1 axes: all of them, or the one given (a view).
 * @example squeeze(zeros([1, 3, 1])).shape; // [3]
 * @throws ShapeError if the given axis does not have size 1.
 * @category Shape
 */
export function squeeze(xIn: Tensor, axis?: number): Tensor {
  const x = need(xIn, 'squeeze');
  if (axis === undefined) return view('squeeze', x, x.shape.filter((d) => d !== 1), { axis: null });
  const a = normAxis(axis, x.ndim, 'squeeze', x.shape);
  if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${axis} of ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
  return view('squeeze', x, x.shape.filter((_, i) => i !== a), { axis: a });
}

/**
 * Inserts a size-1 axis at `axis` (in the result's numbering; −1 appends) (a view).
 * @example unsqueeze(zeros([3]), 0).shape; // [1, 3]
 * @category Shape
 */
export function unsqueeze(xIn: Tensor, axis: number): Tensor {
  const x = need(xIn, 'unsqueeze');
  const a = normAxis(axis, x.ndim + 1, 'unsqueeze', x.shape);
  const s = x.shape.slice();
  s.splice(a, 0, 1);
  return view('unsqueeze', x, s, { axis: a });
}

/**
 * Broadcasts x to `shape` (a new contiguous tensor; −1 keeps a dimension).
 * Shapes: x broadcastable to shape. Gradient: dy summed over the expanded dimensions.
 * @example expand(tensor([1, 2]), [2, 2]).tolist(); // [[1, 2], [1, 2]]
 * @throws ShapeError if x cannot broadcast to shape.
 * @category Shape
 */
export function expand(xIn: Tensor, shape: readonly number[]): Tensor {
  const x = need(xIn, 'expand');
  if (!Array.isArray(shape) || shape.length < x.ndim) throw new ShapeError(`expand: target ${Array.isArray(shape) ? fmtShape(shape) : describe(shape)} has fewer dimensions than x ${fmtShape(x.shape)}`);
  const off = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= off ? x.shape[i - off] : d));
  checkShape(target, 'expand');
  for (let i = 0; i < x.ndim; i++) {
    const d = x.shape[i], t = target[i + off];
    if (d !== t && d !== 1) throw new ShapeError(`expand: x ${fmtShape(x.shape)} cannot expand to ${fmtShape(target)}: dimension ${i} is ${d}, not 1 or ${t}`);
  }
  const st = broadcastStrides(x.shape, target);
  const out = Tensor.empty(target);
  K.stridedCopy(out.data, x.data, 0, target, st);
  return record('expand', out, [x], (dy) => {
    if (x.requiresGrad) K.sumToShape(x.gradBuffer(), dy, target, st);
  }, { shape: target });
}

/**
 * Reorders axes: out axis i is x axis perm[i] (a new contiguous tensor).
 * Shapes: out[i] = x.shape[perm[i]]. Gradient: dy permuted back.
 * @example permute(zeros([2, 3, 4]), [2, 0, 1]).shape; // [4, 2, 3]
 * @throws ArgumentError unless perm is a permutation of 0 … ndim − 1.
 * @category Shape
 */
export function permute(xIn: Tensor, perm: readonly number[]): Tensor {
  const x = need(xIn, 'permute');
  const nd = x.ndim;
  if (!Array.isArray(perm) || perm.length !== nd) throw new ArgumentError(`permute: perm must list ${nd} axes for x ${fmtShape(x.shape)}, got ${Array.isArray(perm) ? fmtShape(perm) : describe(perm)}`);
  const p = perm.map((a) => normAxis(a, nd, 'permute', x.shape));
  const seen = new Set(p);
  if (seen.size !== nd) throw new ArgumentError(`permute: perm ${fmtShape(perm)} repeats an axis`);
  const xs = stridesOf(x.shape);
  const shape = p.map((a) => x.shape[a]);
  const st = p.map((a) => xs[a]);
  const out = Tensor.empty(shape);
  K.stridedCopy(out.data, x.data, 0, shape, st);
  return record('permute', out, [x], (dy) => {
    if (x.requiresGrad) K.stridedAccumulate(x.gradBuffer(), 0, shape, st, dy);
  }, { perm: p });
}

/**
 * Permutes axes as NumPy's `transpose`: reverses them when `perm` is omitted, so for a matrix it
 * is the usual transpose. With two numbers, `transpose(x, 0, 2)` swaps those two axes (PyTorch's
 * `torch.transpose(x, dim0, dim1)`).
 * @example transpose(zeros([2, 3])).shape; // [3, 2]
 * @example transpose(zeros([2, 3, 4]), 0, 2).shape; // [4, 3, 2]
 * @throws ArgumentError unless perm is a permutation, or both axes are given and in range.
 * @category Shape
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor;
export function transpose(x: Tensor, axis0: number, axis1: number): Tensor;
export function transpose(x: Tensor, perm?: readonly number[] | number, axis1?: number): Tensor {
  const t = need(x, 'transpose');
  if (typeof perm === 'number' || axis1 !== undefined) {
    if (typeof perm !== 'number' || typeof axis1 !== 'number') {
      throw new ArgumentError(`transpose: pass a permutation array or two axes to swap, got ${describe(perm)} and ${describe(axis1)}`);
    }
    const a = normAxis(perm, t.ndim, 'transpose', t.shape), b = normAxis(axis1, t.ndim, 'transpose', t.shape);
    const p = t.shape.map((_, i) => i);
    p[a] = b;
    p[b] = a;
    return permute(t, p);
  }
  return permute(t, perm ?? t.shape.map((_, i) => t.ndim - 1 - i));
}

/**
 * Joins tensors along an existing axis.
 * Shapes: every input equal except on `axis`; out's axis is the sum.
 * Gradient: each input gets its slice of dy.
 * @example concat([ones([1, 2]), zeros([2, 2])], 0).shape; // [3, 2]
 * @throws ShapeError naming the first mismatching input.
 * @category Shape
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('concat: need a non-empty array of tensors');
  tensors.forEach((t, i) => need(t, 'concat', `tensors[${i}]`));
  const first: Tensor = tensors[0];
  if (first.ndim === 0) throw new ShapeError('concat: cannot concatenate scalars (shape []); use stack');
  const a = normAxis(axis, first.ndim, 'concat', first.shape);
  let total = 0;
  for (let k = 0; k < tensors.length; k++) {
    const t: Tensor = tensors[k];
    const ok = t.ndim === first.ndim && t.shape.every((d, i) => i === a || d === first.shape[i]);
    if (!ok) throw new ShapeError(`concat: tensors[${k}] ${fmtShape(t.shape)} does not match tensors[0] ${fmtShape(first.shape)} outside axis ${a}`);
    total += t.shape[a];
  }
  const shape = first.shape.slice();
  shape[a] = total;
  const outer = sizeOf(first.shape.slice(0, a));
  const inner = sizeOf(first.shape.slice(a + 1));
  const out = Tensor.empty(shape);
  const rowOut = total * inner;
  let off = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(off);
    const chunk = t.shape[a] * inner;
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * chunk, (o + 1) * chunk), o * rowOut + off);
    off += chunk;
  }
  return record('concat', out, tensors, (dy) => {
    for (let k = 0; k < tensors.length; k++) {
      const t: Tensor = tensors[k];
      if (!t.requiresGrad) continue;
      const g = t.gradBuffer();
      const chunk = t.shape[a] * inner;
      for (let o = 0; o < outer; o++) {
        const src = o * rowOut + offsets[k], dst = o * chunk;
        for (let i = 0; i < chunk; i++) g[dst + i] += dy[src + i];
      }
    }
  }, { axis: a });
}

/**
 * Joins same-shape tensors along a new axis.
 * @example stack([zeros([2]), ones([2])], 1).shape; // [2, 2]
 * @category Shape
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('stack: need a non-empty array of tensors');
  const first = need(tensors[0], 'stack', 'tensors[0]');
  tensors.forEach((t, i) => {
    need(t, 'stack', `tensors[${i}]`);
    if (!sameShape(t.shape, first.shape)) throw new ShapeError(`stack: tensors[${i}] ${fmtShape(t.shape)} differs from tensors[0] ${fmtShape(first.shape)}`);
  });
  const a = normAxis(axis, first.ndim + 1, 'stack', first.shape);
  return concat(tensors.map((t) => unsqueeze(t, a)), a);
}

/**
 * Splits along `axis` into pieces of `sections` (a number: that many equal pieces, the size must
 * divide) or of the listed sizes.
 * @example split(arange(6), 3).map((t) => t.toArray()); // [[0, 1], [2, 3], [4, 5]]
 * @category Shape
 */
export function split(xIn: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const x = need(xIn, 'split');
  const a = normAxis(axis, x.ndim, 'split', x.shape);
  const n = x.shape[a];
  let sizes: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0 || n % sections !== 0) throw new ArgumentError(`split: ${sections} equal sections do not divide axis ${a} of size ${n} in ${fmtShape(x.shape)}`);
    sizes = new Array(sections).fill(n / sections);
  } else if (Array.isArray(sections)) {
    sizes = sections.slice();
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((p, q) => p + q, 0) !== n) {
      throw new ArgumentError(`split: sizes ${fmtShape(sizes)} must be non-negative integers summing to ${n} (axis ${a} of ${fmtShape(x.shape)})`);
    }
  } else throw new ArgumentError(`split: sections must be a number or an array, got ${describe(sections)}`);
  const out: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    const spec: SliceSpec[] = x.shape.map(() => null);
    spec[a] = [start, start + s];
    out.push(slice(x, spec));
    start += s;
  }
  return out;
}

/**
 * One axis of a {@link slice}: `null` keeps the axis whole; a number picks one index and removes
 * the axis (as NumPy); `[start?, end?, step?]` is a Python-style range (negative values count
 * from the end, `end` excluded, `step` > 0).
 */
export type SliceSpec = null | number | readonly [number?, number?, number?];

/**
 * NumPy-style basic indexing: `slice(x, [null, [1, 3], 0])` is `x[:, 1:3, 0]`. Axes beyond the
 * spec list are kept whole. Returns a new contiguous tensor.
 * Shapes: one output axis per range spec (and per unlisted axis). Gradient: dy scattered back.
 * @example slice(arange(10), [[2, 8, 2]]).toArray(); // [2, 4, 6]
 * @throws ArgumentError on an index out of range, a step ≤ 0 or more specs than axes.
 * @category Shape
 */
export function slice(xIn: Tensor, spec: readonly SliceSpec[]): Tensor {
  const x = need(xIn, 'slice');
  if (!Array.isArray(spec)) throw new ArgumentError(`slice: spec must be an array, got ${describe(spec)}`);
  if (spec.length > x.ndim) throw new ArgumentError(`slice: ${spec.length} specs for x ${fmtShape(x.shape)} with ${x.ndim} axes`);
  const xs = stridesOf(x.shape);
  let offset = 0;
  const shape: number[] = [];
  const st: number[] = [];
  // The spec resolved against x: one entry per axis, an index or [start, end, step] (for the trace).
  const resolved: (number | [number, number, number])[] = [];
  for (let d = 0; d < x.ndim; d++) {
    const n = x.shape[d];
    const s = d < spec.length ? spec[d] : null;
    if (s === null || s === undefined) {
      shape.push(n);
      st.push(xs[d]);
      resolved.push([0, n, 1]);
    } else if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < -n || s >= n) throw new ArgumentError(`slice: index ${s} is out of range for axis ${d} of size ${n} in ${fmtShape(x.shape)}`);
      offset += (s < 0 ? s + n : s) * xs[d];
      resolved.push(s < 0 ? s + n : s);
    } else if (Array.isArray(s)) {
      const step = s[2] ?? 1;
      if (!Number.isInteger(step) || step <= 0) throw new ArgumentError(`slice: step must be a positive integer, got ${describe(step)} on axis ${d}`);
      const clampIdx = (v: number | undefined, dflt: number): number => {
        if (v === undefined || v === null) return dflt;
        if (!Number.isInteger(v)) throw new ArgumentError(`slice: bounds must be integers, got ${describe(v)} on axis ${d}`);
        const w = v < 0 ? v + n : v;
        return Math.min(Math.max(w, 0), n);
      };
      const start = clampIdx(s[0], 0);
      const end = clampIdx(s[1], n);
      const len = end > start ? Math.ceil((end - start) / step) : 0;
      offset += start * xs[d];
      shape.push(len);
      st.push(xs[d] * step);
      resolved.push([start, Math.max(start, end), step]);
    } else throw new ArgumentError(`slice: spec[${d}] must be null, a number or [start, end, step], got ${describe(s)}`);
  }
  const out = Tensor.empty(shape);
  K.stridedCopy(out.data, x.data, offset, shape, st);
  return record('slice', out, [x], (dy) => {
    if (x.requiresGrad) K.stridedAccumulate(x.gradBuffer(), offset, shape, st, dy);
  }, { spec: resolved });
}

const PAD_SPEC = { value: num({ nonFinite: true }) };

/** Options of {@link pad}. */
export interface PadOptions {
  /** Fill value (default 0). Only constant padding is supported. */
  value?: number;
}

/**
 * Pads with a constant. `widths` lists `[before, after]` per axis, aligned to the LAST axes when
 * shorter than ndim (so `[[1, 1], [1, 1]]` pads H and W of an NCHW batch).
 * Shapes: out[d] = x[d] + before_d + after_d. Gradient: the interior of dy.
 * @example pad(tensor([1, 2]), [[1, 2]]).toArray(); // [0, 1, 2, 0, 0]
 * @category Shape
 */
export function pad(xIn: Tensor, widths: readonly (readonly [number, number])[], options: PadOptions = {}): Tensor {
  const x = need(xIn, 'pad');
  if (!Array.isArray(widths) || widths.length > x.ndim) throw new ArgumentError(`pad: widths must be an array of at most ${x.ndim} [before, after] pairs for x ${fmtShape(x.shape)}`);
  const { value } = { value: 0, ...parseOptions('pad', options, PAD_SPEC) };
  const off = x.ndim - widths.length;
  const shape = x.shape.slice();
  const before = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < widths.length; i++) {
    const w = widths[i];
    if (!Array.isArray(w) || w.length !== 2 || !w.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new ArgumentError(`pad: widths[${i}] must be [before, after] non-negative integers, got ${describe(w)}`);
    }
    before[i + off] = w[0];
    shape[i + off] += w[0] + w[1];
  }
  const out = Tensor.empty(shape, 'pad');
  if (value !== 0) out.data.fill(value);
  const os = stridesOf(shape);
  let offset = 0;
  for (let d = 0; d < x.ndim; d++) offset += before[d] * os[d];
  K.stridedWrite(out.data, offset, x.shape, os, x.data);
  const after = shape.map((d, i) => d - x.shape[i] - before[i]);
  return record('pad', out, [x], (dy) => {
    if (!x.requiresGrad) return;
    const tmp = new Float32Array(x.size);
    K.stridedCopy(tmp, dy, offset, x.shape, os);
    K.addInto(x.gradBuffer(), tmp, x.size);
  }, { widths: before.map((b, i) => [b, after[i]]), value });
}

/**
 * Repeats each element `repeats` times along `axis` (NumPy's `repeat`, PyTorch's
 * `repeat_interleave`). Without an axis, x is flattened first.
 * @example repeat(tensor([1, 2]), 2).toArray(); // [1, 1, 2, 2]
 * @category Shape
 */
export function repeat(xIn: Tensor, repeats: number, axis?: number): Tensor {
  const x0 = need(xIn, 'repeat');
  if (!Number.isInteger(repeats) || repeats < 0) throw new ArgumentError(`repeat: repeats must be a non-negative integer, got ${describe(repeats)}`);
  const x = axis === undefined ? flatten(x0) : x0;
  const a = normAxis(axis ?? 0, x.ndim, 'repeat', x.shape);
  const s = x.shape.slice();
  s.splice(a + 1, 0, 1);
  const e = s.slice();
  e[a + 1] = repeats;
  const outShape = x.shape.slice();
  outShape[a] *= repeats;
  return reshape(expand(reshape(x, s), e), outShape);
}

/**
 * Tiles x: the result repeats the whole tensor reps[d] times along each axis (NumPy's `tile`,
 * PyTorch's `Tensor.repeat`). `reps` shorter than ndim applies to the last axes; longer adds
 * leading axes.
 * @example tile(tensor([1, 2]), [2]).toArray(); // [1, 2, 1, 2]
 * @category Shape
 */
export function tile(xIn: Tensor, reps: readonly number[]): Tensor {
  const x0 = need(xIn, 'tile');
  if (!Array.isArray(reps) || reps.some((r) => !Number.isInteger(r) || r < 0)) throw new ArgumentError(`tile: reps must be non-negative integers, got ${describe(reps)}`);
  const nd = Math.max(x0.ndim, reps.length);
  const xs = [...new Array(nd - x0.ndim).fill(1), ...x0.shape];
  const rs = [...new Array(nd - reps.length).fill(1), ...reps];
  const x = reshape(x0, xs);
  const inter: number[] = [];
  const exp: number[] = [];
  for (let d = 0; d < nd; d++) {
    inter.push(1, xs[d]);
    exp.push(rs[d], xs[d]);
  }
  return reshape(expand(reshape(x, inter), exp), xs.map((d, i) => d * rs[i]));
}
