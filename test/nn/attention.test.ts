import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError, Generator, ShapeError, Tensor, add, gelu, mul, sum, tensor, zeros,
} from '../../src/tensor/index';
import {
  MultiHeadAttention, generateSquareSubsequentMask, scaledDotProductAttention, torchAttentionStateDict,
  type NestedBool,
} from '../../src/nn/attention';
import {
  PositionalEncoding, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
} from '../../src/nn/transformer';
import { LayerNorm } from '../../src/nn/normalization';
import { Linear } from '../../src/nn/layers';
import { expectClose, expectGrad, randT } from '../helpers/check';

// ---------------------------------------------------------------- the reference, as explicit loops

/** Mask of the reference: an additive term and a blocked flag per (b, h, t, s). */
interface RefMask {
  add?: (b: number, h: number, t: number, s: number) => number;
  blocked?: (b: number, h: number, t: number, s: number) => boolean;
}

/** y[b, t, o] = bias[o] + Σ_c x[b, t, c] · W[o, c], in float64. */
function refLinear(x: ArrayLike<number>, rows: number, lin: Linear): Float64Array {
  const C = lin.inFeatures, O = lin.outFeatures;
  const y = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      let acc = lin.bias ? lin.bias.data[o] : 0;
      for (let c = 0; c < C; c++) acc += x[r * C + c] * lin.weight.data[o * C + c];
      y[r * O + o] = acc;
    }
  }
  return y;
}

/**
 * Multi-head attention written out: for each batch b, head h, query t and key s,
 * score = Σ_d Q[b,t,hD+d]·K[b,s,hD+d]/√D + add(b,h,t,s), or −∞ where blocked; p = softmax over s
 * (all blocked → p = 0); ctx[b,t,hD+d] = Σ_s p[s]·V[b,s,hD+d]; out = outProj(ctx).
 */
function refMha(m: MultiHeadAttention, query: Tensor, key: Tensor, value: Tensor, mask: RefMask = {}): { out: Float64Array; w: Float64Array } {
  const [B, T] = query.shape;
  const S = key.shape[1];
  const E = m.embedDim, NH = m.numHeads, D = m.headDim;
  const Q = refLinear(query.data, B * T, m.qProj);
  const K = refLinear(key.data, B * S, m.kProj);
  const V = refLinear(value.data, B * S, m.vProj);
  const ctx = new Float64Array(B * T * E);
  const w = new Float64Array(B * NH * T * S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const sc = new Float64Array(S);
        let mx = -Infinity;
        for (let s = 0; s < S; s++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += Q[(b * T + t) * E + h * D + d] * K[(b * S + s) * E + h * D + d];
          sc[s] = mask.blocked?.(b, h, t, s) ? -Infinity : dot / Math.sqrt(D) + (mask.add?.(b, h, t, s) ?? 0);
          mx = Math.max(mx, sc[s]);
        }
        let z = 0;
        for (let s = 0; s < S; s++) z += mx === -Infinity ? 0 : Math.exp(sc[s] - mx);
        for (let s = 0; s < S; s++) {
          const p = mx === -Infinity ? 0 : Math.exp(sc[s] - mx) / z;
          w[((b * NH + h) * T + t) * S + s] = p;
          for (let d = 0; d < D; d++) ctx[(b * T + t) * E + h * D + d] += p * V[(b * S + s) * E + h * D + d];
        }
      }
    }
  }
  return { out: refLinear(ctx, B * T, m.outProj), w };
}

/** The per-head weights [B, NH, T, S] averaged over heads → [B, T, S]. */
function headMean(w: Float64Array, B: number, NH: number, T: number, S: number): Float64Array {
  const out = new Float64Array(B * T * S);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < T * S; i++) out[b * T * S + i] += w[(b * NH + h) * T * S + i] / NH;
  return out;
}

function randBool(shape: number[], rng: Generator, p: number): boolean[][] {
  return Array.from({ length: shape[0] }, () => Array.from({ length: shape[1] }, () => rng.random() < p));
}

const rel = (a: ArrayLike<number>, e: ArrayLike<number>) => expectClose(a, e, 1e-5, 1e-4);

// ---------------------------------------------------------------- MultiHeadAttention against the loops

describe('MultiHeadAttention against explicit loops', () => {
  it('cross-attention (B 2, T 3, S 5, E 6, 3 heads): output and averaged and per-head weights', () => {
    const rng = new Generator(1);
    const m = new MultiHeadAttention(6, 3, { rng });
    for (const lin of [m.qProj, m.kProj, m.vProj, m.outProj]) rng.fillNormal(lin.bias!.data, 0, 0.3);
    const q = randT([2, 3, 6], rng), k = randT([2, 5, 6], rng), v = randT([2, 5, 6], rng);
    const ref = refMha(m, q, k, v);
    const r1 = m.forward(q, k, v);
    rel(r1.output.data, ref.out);
    expect(r1.output.shape).toEqual([2, 3, 6]);
    expect(r1.weights!.shape).toEqual([2, 3, 5]);
    rel(r1.weights!.data, headMean(ref.w, 2, 3, 3, 5));
    const r2 = m.forward(q, k, v, { averageAttnWeights: false });
    expect(r2.weights!.shape).toEqual([2, 3, 3, 5]);
    rel(r2.weights!.data, ref.w);
    expect(m.forward(q, k, v, { needWeights: false }).weights).toBeNull();
  });

  it('self-attention with one head, size-1 batch and length 1, and kdim ≠ vdim ≠ E', () => {
    const rng = new Generator(2);
    const m1 = new MultiHeadAttention(4, 1, { rng });
    const x = randT([1, 1, 4], rng);
    rel(m1.forward(x, x, x).output.data, refMha(m1, x, x, x).out);
    // one key: every weight is exactly 1
    expect(m1.forward(x, x, x).weights!.toArray()).toEqual([1]);
    const m2 = new MultiHeadAttention(4, 2, { kdim: 3, vdim: 5, rng });
    const q = randT([2, 2, 4], rng), k = randT([2, 7, 3], rng), v = randT([2, 7, 5], rng);
    expect(m2.kProj.weight.shape).toEqual([4, 3]);
    expect(m2.vProj.weight.shape).toEqual([4, 5]);
    rel(m2.forward(q, k, v).output.data, refMha(m2, q, k, v).out);
  });

  it('an unbatched input (T, E) equals the batch of one', () => {
    const rng = new Generator(3);
    const m = new MultiHeadAttention(4, 2, { rng });
    const q = randT([3, 4], rng), k = randT([5, 4], rng);
    const kpm = [[false, true, false, false, true]];
    const one = m.forward(q, k, k, { keyPaddingMask: kpm[0] as unknown as NestedBool[] });
    const batched = m.forward(new Tensor(q.data, [1, 3, 4]), new Tensor(k.data, [1, 5, 4]), new Tensor(k.data, [1, 5, 4]), { keyPaddingMask: kpm });
    expect(one.output.shape).toEqual([3, 4]);
    expect(one.weights!.shape).toEqual([3, 5]);
    expect(one.output.toArray()).toEqual(batched.output.toArray());
    expect(one.weights!.toArray()).toEqual(batched.weights!.toArray());
  });
});

describe('MultiHeadAttention masks against the loops', () => {
  const rng = new Generator(4);
  const B = 2, T = 4, S = 5, E = 6, NH = 2;
  const m = new MultiHeadAttention(E, NH, { rng });
  for (const lin of [m.qProj, m.kProj, m.vProj, m.outProj]) rng.fillNormal(lin.bias!.data, 0, 0.3);
  const q = randT([B, T, E], rng), k = randT([B, S, E], rng), v = randT([B, S, E], rng);

  function check(opts: Parameters<MultiHeadAttention['forward']>[3], mask: RefMask): void {
    const ref = refMha(m, q, k, v, mask);
    const r = m.forward(q, k, v, { ...opts, averageAttnWeights: false });
    rel(r.output.data, ref.out);
    rel(r.weights!.data, ref.w);
  }

  it('isCausal blocks keys s > t (top-left aligned, T ≠ S)', () => {
    check({ isCausal: true }, { blocked: (_b, _h, t, s) => s > t });
  });

  it('a key padding mask as booleans and as a 0/1 tensor (non-zero = ignore)', () => {
    const kpm = [[false, false, true, false, true], [true, false, false, false, false]];
    const blocked = (b: number, _h: number, _t: number, s: number) => kpm[b][s];
    check({ keyPaddingMask: kpm }, { blocked });
    check({ keyPaddingMask: tensor(kpm.map((r) => r.map(Number))) }, { blocked });
  });

  it('an additive [T, S] tensor is added to the scaled scores, −Infinity included', () => {
    const add = randT([T, S], rng);
    add.data[1 * S + 2] = -Infinity;
    check({ attnMask: add }, { add: (_b, _h, t, s) => (t === 1 && s === 2 ? 0 : add.data[t * S + s]), blocked: (_b, _h, t, s) => t === 1 && s === 2 });
  });

  it('a boolean [T, S] mask and a boolean [B·NH, T, S] mask (true = blocked)', () => {
    const b2 = randBool([T, S], rng, 0.3);
    check({ attnMask: b2 }, { blocked: (_b, _h, t, s) => b2[t][s] });
    const b3 = Array.from({ length: B * NH }, () => randBool([T, S], rng, 0.3));
    check({ attnMask: b3 }, { blocked: (b, h, t, s) => b3[b * NH + h][t][s] });
  });

  it('a float [B·NH, T, S] mask, key padding and isCausal all combine', () => {
    const f3 = randT([B * NH, T, S], rng);
    const kpm = [[false, true, false, false, false], [false, false, false, true, true]];
    check({ attnMask: f3, keyPaddingMask: kpm, isCausal: true }, {
      add: (b, h, t, s) => f3.data[((b * NH + h) * T + t) * S + s],
      blocked: (b, _h, t, s) => kpm[b][s] || s > t,
    });
  });

  it('a fully masked query row gets zero weights and outProj.bias as output (PyTorch: NaN)', () => {
    const kpm = [[true, true, true, true, true], [false, false, false, false, true]];
    const r = m.forward(q, k, v, { keyPaddingMask: kpm });
    const w = r.weights!.toArray();
    for (let i = 0; i < T * S; i++) expect(w[i]).toBe(0);
    const out = r.output.toArray();
    for (let t = 0; t < T; t++) expectClose(out.slice(t * E, (t + 1) * E), m.outProj.bias!.toArray());
    expect(out.every(Number.isFinite)).toBe(true);
    // and its gradient is finite and zero for the blocked keys of that batch
    const kk = new Tensor(k.data.slice(), k.shape, true);
    sum(mul(m.forward(q, kk, v, { keyPaddingMask: kpm }).output, randT([B, T, E], rng))).backward();
    const g = kk.grad!;
    for (let i = 0; i < S * E; i++) expect(g[i]).toBe(0);
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
  });

  it('generateSquareSubsequentMask(T) as attnMask equals isCausal', () => {
    const x = randT([B, T, E], rng);
    const a = m.forward(x, x, x, { attnMask: generateSquareSubsequentMask(T) });
    const c = m.forward(x, x, x, { isCausal: true });
    expectClose(a.output.data, c.output.data, 1e-6, 1e-6);
    expect(generateSquareSubsequentMask(2).toArray()).toEqual([0, -Infinity, 0, 0]);
  });
});

// ---------------------------------------------------------------- gradients

/** Replaces a module's parameter (readonly only for TypeScript), so gradcheck can vary it. */
function setParam(lin: Linear, name: 'weight' | 'bias', t: Tensor): void {
  (lin as unknown as Record<string, Tensor>)[name] = t;
}

describe('MultiHeadAttention gradients (random-direction gradcheck)', () => {
  it('to query, key and value, with and without masks', () => {
    const rng = new Generator(5);
    const m = new MultiHeadAttention(4, 2, { rng });
    const q = randT([2, 3, 4], rng), k = randT([2, 4, 4], rng), v = randT([2, 4, 4], rng);
    expectGrad((a, b, c) => m.forward(a, b, c).output, [q, k, v]);
    const kpm = [[false, false, true, false], [true, false, false, false]];
    const add = randT([3, 4], rng);
    expectGrad((a, b, c) => m.forward(a, b, c, { keyPaddingMask: kpm, attnMask: add, isCausal: true }).output, [q, k, v]);
    // the weights' own backward path (mean over heads)
    expectGrad((a, b) => m.forward(a, b, b).weights as Tensor, [q, k]);
  });

  it('to an additive mask that requires grad, [T, S] and [B·NH, T, S]', () => {
    const rng = new Generator(27);
    const m = new MultiHeadAttention(4, 2, { rng });
    const x = randT([2, 3, 4], rng);
    expectGrad((q, mk) => m.forward(q, q, q, { attnMask: mk }).output, [x, randT([3, 3], rng)]);
    expectGrad((q, mk) => m.forward(q, q, q, { attnMask: mk, keyPaddingMask: [[false, false, true], [false, false, false]] }).output, [x, randT([4, 3, 3], rng)]);
  });

  it('self-attention: one tensor used as query, key and value', () => {
    const rng = new Generator(6);
    const m = new MultiHeadAttention(6, 3, { rng });
    expectGrad((x) => m.forward(x, x, x, { isCausal: true }).output, [randT([2, 5, 6], rng)]);
  });

  it('to every projection weight and bias', () => {
    const rng = new Generator(7);
    const m = new MultiHeadAttention(4, 2, { rng, kdim: 3, vdim: 5 });
    const q = randT([2, 3, 4], rng), k = randT([2, 4, 3], rng), v = randT([2, 4, 5], rng);
    const lins = [m.qProj, m.kProj, m.vProj, m.outProj];
    const params = lins.flatMap((l) => [l.weight.clone(), randT([l.outFeatures], rng, { scale: 0.3 })]);
    expectGrad((...ps) => {
      lins.forEach((l, i) => {
        setParam(l, 'weight', ps[2 * i]);
        setParam(l, 'bias', ps[2 * i + 1]);
      });
      return m.forward(q, k, v, { keyPaddingMask: [[false, true, false, false], [false, false, false, false]] }).output;
    }, params);
  });

  it('Parameters receive .grad through backward, of the layout of the weights', () => {
    const m = new MultiHeadAttention(4, 2, { rng: new Generator(8) });
    const x = randT([2, 3, 4], new Generator(9));
    sum(mul(m.forward(x, x, x).output, randT([2, 3, 4], new Generator(10)))).backward();
    for (const [name, p] of m.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expect(p.grad!.length, name).toBe(p.size);
    }
  });
});

// ---------------------------------------------------------------- scaledDotProductAttention

describe('scaledDotProductAttention', () => {
  /** out[i, t, :] = Σ_s softmax_s(scale·q[i,t]·k[i,s] + add)·v[i,s, :], per flattened batch index i. */
  function refSdpa(q: Tensor, k: Tensor, v: Tensor, scale: number, add: (i: number, t: number, s: number) => number): Float64Array {
    const T = q.shape[q.ndim - 2], d = q.shape[q.ndim - 1], S = k.shape[k.ndim - 2], dv = v.shape[v.ndim - 1];
    const N = q.size / (T * d);
    const out = new Float64Array(N * T * dv);
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < T; t++) {
        const sc: number[] = [];
        for (let s = 0; s < S; s++) {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q.data[(i * T + t) * d + c] * k.data[(i * S + s) * d + c];
          sc.push(scale * dot + add(i, t, s));
        }
        const mx = Math.max(...sc);
        const z = sc.reduce((a, x) => a + (mx === -Infinity ? 0 : Math.exp(x - mx)), 0);
        for (let s = 0; s < S; s++) {
          const p = mx === -Infinity ? 0 : Math.exp(sc[s] - mx) / z;
          for (let c = 0; c < dv; c++) out[(i * T + t) * dv + c] += p * v.data[(i * S + s) * dv + c];
        }
      }
    }
    return out;
  }

  it('on [B, NH, T, d] with a broadcast [T, S] mask, isCausal, and a custom scale', () => {
    const rng = new Generator(11);
    const q = randT([2, 3, 4, 5], rng), k = randT([2, 3, 6, 5], rng), v = randT([2, 3, 6, 7], rng);
    rel(scaledDotProductAttention(q, k, v).data, refSdpa(q, k, v, 1 / Math.sqrt(5), () => 0));
    const mask = randT([4, 6], rng);
    rel(scaledDotProductAttention(q, k, v, { attnMask: mask }).data, refSdpa(q, k, v, 1 / Math.sqrt(5), (_i, t, s) => mask.data[t * 6 + s]));
    rel(scaledDotProductAttention(q, k, v, { isCausal: true, scale: 0.7 }).data, refSdpa(q, k, v, 0.7, (_i, t, s) => (s > t ? -Infinity : 0)));
    const bm = randBool([4, 6], rng, 0.4);
    rel(scaledDotProductAttention(q, k, v, { attnMask: bm }).data, refSdpa(q, k, v, 1 / Math.sqrt(5), (_i, t, s) => (bm[t][s] ? -Infinity : 0)));
  });

  it('broadcasts a single k, v over the batch of q, and 2-D inputs work', () => {
    const rng = new Generator(12);
    const q = randT([3, 2, 4], rng), k = randT([5, 4], rng), v = randT([5, 2], rng);
    const out = scaledDotProductAttention(q, k, v);
    expect(out.shape).toEqual([3, 2, 2]);
    const k3 = new Tensor(new Float32Array([...k.data, ...k.data, ...k.data]), [3, 5, 4]);
    const v3 = new Tensor(new Float32Array([...v.data, ...v.data, ...v.data]), [3, 5, 2]);
    rel(out.data, refSdpa(q, k3, v3, 0.5, () => 0));
  });

  it('gradients to q, k, v and to an additive mask that requires grad', () => {
    const rng = new Generator(13);
    const q = randT([2, 3, 4], rng), k = randT([2, 5, 4], rng), v = randT([2, 5, 3], rng), mask = randT([3, 5], rng);
    expectGrad((a, b, c) => scaledDotProductAttention(a, b, c, { isCausal: true }), [q, k, v]);
    expectGrad((a, b, c, mk) => scaledDotProductAttention(a, b, c, { attnMask: mk }), [q, k, v, mask]);
  });

  it('dropout: seeded, inverted (rows of kept weights scaled by 1/(1 − p)), off when training is false', () => {
    const rng = new Generator(14);
    const q = randT([2, 4, 3], rng), k = randT([2, 6, 3], rng);
    const v = new Tensor(new Float32Array(2 * 6).fill(1), [2, 6, 1]);
    const a = scaledDotProductAttention(q, k, v, { dropout: 0.5, rng: new Generator(1) });
    const b = scaledDotProductAttention(q, k, v, { dropout: 0.5, rng: new Generator(1) });
    expect(a.toArray()).toEqual(b.toArray());
    // With v = 1, an output is 2 · (sum of the kept weights of its row): in [0, 2], and not all 1.
    expect(a.toArray().every((x) => x >= 0 && x <= 2 + 1e-6)).toBe(true);
    expect(a.toArray().some((x) => Math.abs(x - 1) > 1e-3)).toBe(true);
    const off = scaledDotProductAttention(q, k, v, { dropout: 0.5, training: false });
    expectClose(off.data, new Float32Array(8).fill(1), 1e-6, 1e-6);
  });

  it('a row with every key blocked gives zeros, not NaN', () => {
    const q = tensor([[1, 0], [0, 1]]), k = tensor([[1, 1], [2, 0]]), v = tensor([[1, 2], [3, 4]]);
    const out = scaledDotProductAttention(q, k, v, { attnMask: [[true, true], [false, true]] });
    expect(out.toArray()).toEqual([0, 0, 1, 2]);
  });

  it('bad inputs throw typed errors naming the shapes', () => {
    const q = zeros([2, 3, 4]);
    expect(() => scaledDotProductAttention(q, zeros([2, 5, 3]), zeros([2, 5, 4]))).toThrow(ShapeError);
    expect(() => scaledDotProductAttention(q, zeros([2, 5, 3]), zeros([2, 5, 4]))).toThrow(/q \[2, 3, 4\] and k \[2, 5, 3\]/);
    expect(() => scaledDotProductAttention(q, zeros([2, 5, 4]), zeros([2, 6, 4]))).toThrow(/k \[2, 5, 4\] and v \[2, 6, 4\]/);
    expect(() => scaledDotProductAttention(q, zeros([2, 5, 4]), zeros([2, 5, 4]), { attnMask: zeros([4, 5]) })).toThrow(/attnMask \[4, 5\]/);
    expect(() => scaledDotProductAttention(q, zeros([3, 5, 4]), zeros([3, 5, 4]))).toThrow(ShapeError);
    expect(() => scaledDotProductAttention(zeros([4]), zeros([4]), zeros([4]))).toThrow(ShapeError);
    expect(() => scaledDotProductAttention(q, q, q, { dropout: 1.5 })).toThrow(ArgumentError);
    expect(() => scaledDotProductAttention(q, q, [1] as unknown as Tensor)).toThrow(ArgumentError);
    expect(() => scaledDotProductAttention(q, q, q, { attnMask: [[true, 1]] as unknown as boolean[][] })).toThrow(ArgumentError);
    expect(() => scaledDotProductAttention(q, q, q, { attnMask: [[true, true], [true]] })).toThrow(/ragged/);
  });
});

// ---------------------------------------------------------------- init, loading, errors

describe('MultiHeadAttention init, PyTorch loading and errors', () => {
  it('init: q/k/v U(±√(6/(E + 3E))) (the packed in_proj bound), outProj U(±1/√E), biases 0', () => {
    const E = 64;
    const m = new MultiHeadAttention(E, 4, { rng: new Generator(15) });
    const a = Math.sqrt(6 / (4 * E));
    for (const lin of [m.qProj, m.kProj, m.vProj]) {
      const w = lin.weight.toArray();
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(a);
      expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.97 * a);
      // Var of U(±a) is a²/3.
      expect(w.reduce((s, x) => s + x * x, 0) / w.length).toBeCloseTo(a * a / 3, 3);
      expect(lin.bias!.toArray().every((x) => x === 0)).toBe(true);
    }
    const ow = m.outProj.weight.toArray();
    expect(Math.max(...ow.map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(Math.max(...ow.map(Math.abs))).toBeGreaterThan(0.97 / 8);
    expect(m.outProj.bias!.toArray().every((x) => x === 0)).toBe(true);
    // separate projections (kdim ≠ E): each its own Xavier bound
    const m2 = new MultiHeadAttention(E, 4, { kdim: 16, rng: new Generator(16) });
    expect(Math.max(...m2.kProj.weight.toArray().map(Math.abs))).toBeGreaterThan(Math.sqrt(6 / (4 * E)));
    expect(Math.max(...m2.kProj.weight.toArray().map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / (16 + E)));
    expect(new MultiHeadAttention(4, 2, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['qProj.weight', 'kProj.weight', 'vProj.weight', 'outProj.weight']);
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      'qProj.weight', 'qProj.bias', 'kProj.weight', 'kProj.bias', 'vProj.weight', 'vProj.bias', 'outProj.weight', 'outProj.bias',
    ]);
  });

  it('loadInProj splits [3E, E] and [3E] into the three projections; torchAttentionStateDict renames', () => {
    const m = new MultiHeadAttention(2, 1);
    const w = tensor(Array.from({ length: 12 }, (_, i) => i), [6, 2]);
    m.loadInProj(w, tensor([10, 11, 12, 13, 14, 15]));
    expect(m.qProj.weight.tolist()).toEqual([[0, 1], [2, 3]]);
    expect(m.kProj.weight.tolist()).toEqual([[4, 5], [6, 7]]);
    expect(m.vProj.weight.tolist()).toEqual([[8, 9], [10, 11]]);
    expect([m.qProj.bias!.toArray(), m.kProj.bias!.toArray(), m.vProj.bias!.toArray()]).toEqual([[10, 11], [12, 13], [14, 15]]);
    expect(() => m.loadInProj(zeros([4, 2]))).toThrow(/\[4, 2\] must be \[3E, E\] = \[6, 2\]/);
    expect(() => new MultiHeadAttention(2, 1, { kdim: 3 }).loadInProj(w)).toThrow(ArgumentError);
    const sd = torchAttentionStateDict({
      'layers.0.self_attn.in_proj_weight': w, 'layers.0.self_attn.out_proj.bias': zeros([2]),
      'bn.running_mean': zeros([2]), 'attn.k_proj_weight': zeros([2, 3]),
    });
    expect(Object.keys(sd)).toEqual([
      'layers.0.selfAttn.qProj.weight', 'layers.0.selfAttn.kProj.weight', 'layers.0.selfAttn.vProj.weight',
      'layers.0.selfAttn.outProj.bias', 'bn.runningMean', 'attn.kProj.weight',
    ]);
    expect((sd['layers.0.selfAttn.vProj.weight'] as Tensor).tolist()).toEqual([[8, 9], [10, 11]]);
  });

  it('bad construction and bad forward inputs throw typed errors naming the shapes', () => {
    expect(() => new MultiHeadAttention(10, 3)).toThrow(ArgumentError);
    expect(() => new MultiHeadAttention(10, 3)).toThrow(/embedDim 10 must be divisible by numHeads 3/);
    expect(() => new MultiHeadAttention(0, 1)).toThrow(ArgumentError);
    expect(() => new MultiHeadAttention(4, 2, { dropout: -0.1 })).toThrow(ArgumentError);
    const m = new MultiHeadAttention(4, 2);
    const x = zeros([2, 3, 4]);
    expect(() => m.forward(zeros([2, 3, 5]), x, x)).toThrow(ShapeError);
    expect(() => m.forward(zeros([2, 3, 5]), x, x)).toThrow(/query \[2, 3, 5\].*query width 5 is not embedDim 4/);
    expect(() => m.forward(x, zeros([2, 3, 6]), x)).toThrow(/key width 6 is not kdim 4/);
    expect(() => m.forward(x, x, zeros([2, 4, 4]))).toThrow(/key and value lengths 3 and 4 differ/);
    expect(() => m.forward(x, zeros([3, 3, 4]), zeros([3, 3, 4]))).toThrow(/batch sizes differ/);
    expect(() => m.forward(zeros([3, 4]), x, x)).toThrow(ShapeError);
    expect(() => m.forward(x, x, x, { attnMask: zeros([3, 2]) })).toThrow(/attnMask \[3, 2\] must be \[T, S\] = \[3, 3\] or \[B·NH, T, S\] = \[4, 3, 3\]/);
    expect(() => m.forward(x, x, x, { attnMask: zeros([2, 3, 3]) })).toThrow(ShapeError);
    expect(() => m.forward(x, x, x, { keyPaddingMask: zeros([2, 4]) })).toThrow(/keyPaddingMask \[2, 4\] must be \[B, S\] = \[2, 3\]/);
    expect(() => m.forward(x, x, x, { keyPaddingMask: 'all' as unknown as boolean[][] })).toThrow(ArgumentError);
    expect(() => m.forward(x, x, null as unknown as Tensor)).toThrow(ArgumentError);
  });

  it('eval mode turns attention dropout off; in training the weights returned are the dropped ones', () => {
    const m = new MultiHeadAttention(4, 2, { dropout: 0.5, rng: new Generator(17) });
    const x = randT([2, 3, 4], new Generator(18));
    const train = m.forward(x, x, x, { averageAttnWeights: false }).weights!.toArray();
    expect(train.some((w) => w === 0)).toBe(true);
    m.eval();
    const w = m.forward(x, x, x, { averageAttnWeights: false }).weights!.toArray();
    for (let r = 0; r < w.length / 3; r++) expect(w[3 * r] + w[3 * r + 1] + w[3 * r + 2]).toBeCloseTo(1, 6);
    expect(m.config()).toEqual({ type: 'MultiHeadAttention', options: { embedDim: 4, numHeads: 2, dropout: 0.5, bias: true, kdim: 4, vdim: 4 } });
  });
});

// ---------------------------------------------------------------- PyTorch fixtures

interface Arr { shape: number[]; data: number[] }
interface MhaCase {
  name: string; embedDim: number; numHeads: number; kdim: number; vdim: number; selfAttention: boolean; average: boolean;
  state: Record<string, Arr>; query: Arr; key?: Arr; value?: Arr; output: Arr; weights: Arr;
  upstream: Arr; upstreamWeights: Arr; dquery: Arr; dkey?: Arr; dvalue?: Arr; grads: Record<string, Arr>;
  attnMask?: { kind: 'float' | 'bool'; shape: number[]; data: (number | boolean)[] };
  keyPaddingMask?: boolean[][];
}
interface EncCase {
  normFirst: boolean; activation: 'relu' | 'gelu'; dModel: number; nhead: number; dimFeedforward: number;
  state: Record<string, Arr>; x: Arr; srcKeyPaddingMask: boolean[][]; y: Arr; upstream: Arr; dx: Arr; grads: Record<string, Arr>;
}
interface DecCase {
  normFirst: boolean; dModel: number; nhead: number; dimFeedforward: number;
  state: Record<string, Arr>; tgt: Arr; memory: Arr; memoryKeyPaddingMask: boolean[][]; y: Arr; upstream: Arr; dtgt: Arr; dmemory: Arr;
}
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/attention.json'), 'utf8')) as { mha: MhaCase[]; encoderLayer: EncCase[]; decoderLayer: DecCase[] };

const leaf = (a: Arr): Tensor => new Tensor(new Float32Array(a.data), a.shape, true);
const asDict = (s: Record<string, Arr>): Record<string, Tensor> => Object.fromEntries(Object.entries(s).map(([k, a]) => [k, new Tensor(new Float32Array(a.data), a.shape)]));
const fclose = (a: ArrayLike<number>, e: ArrayLike<number>) => expectClose(a, e, 1e-5, 1e-4);

function nest(flat: (number | boolean)[], shape: number[]): NestedBool[] {
  if (shape.length === 1) return flat as boolean[];
  const n = flat.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(flat.slice(i * n, (i + 1) * n), shape.slice(1)) as unknown as NestedBool);
}

describe('against PyTorch 1.13 (test/fixtures/attention.json)', () => {
  it('has the cases', () => {
    expect(fx.mha.length).toBe(5);
    expect(fx.encoderLayer.length).toBe(2);
    expect(fx.decoderLayer.length).toBe(2);
  });

  for (const c of fx.mha) {
    it(`MultiheadAttention: ${c.name}: output, weights, input and parameter gradients`, () => {
      const m = new MultiHeadAttention(c.embedDim, c.numHeads, { kdim: c.kdim, vdim: c.vdim });
      m.loadStateDict(torchAttentionStateDict(asDict(c.state)));
      const q = leaf(c.query);
      const k = c.selfAttention ? q : leaf(c.key!);
      const v = c.selfAttention ? q : leaf(c.value!);
      const attnMask = c.attnMask === undefined ? undefined
        : c.attnMask.kind === 'bool' ? nest(c.attnMask.data, c.attnMask.shape) : new Tensor(new Float32Array(c.attnMask.data as number[]), c.attnMask.shape);
      const r = m.forward(q, k, v, { attnMask, keyPaddingMask: c.keyPaddingMask, averageAttnWeights: c.average });
      fclose(r.output.data, c.output.data);
      expect(r.weights!.shape).toEqual(c.weights.shape);
      fclose(r.weights!.data, c.weights.data);
      const loss = sum(mul(r.output, new Tensor(new Float32Array(c.upstream.data), c.upstream.shape)));
      const lossW = sum(mul(r.weights!, new Tensor(new Float32Array(c.upstreamWeights.data), c.upstreamWeights.shape)));
      add(loss, lossW).backward();
      fclose(q.grad!, c.dquery.data);
      if (!c.selfAttention) {
        fclose(k.grad!, c.dkey!.data);
        fclose(v.grad!, c.dvalue!.data);
      }
      const want = torchAttentionStateDict(asDict(c.grads));
      const got = Object.fromEntries(m.namedParameters());
      expect(Object.keys(want).sort()).toEqual(Object.keys(got).sort());
      for (const [name, g] of Object.entries(want)) fclose(got[name].grad!, g.data);
    });
  }

  for (const c of fx.encoderLayer) {
    it(`TransformerEncoderLayer normFirst=${c.normFirst}, ${c.activation}, eval: output, input and parameter gradients`, () => {
      const layer = new TransformerEncoderLayer(c.dModel, c.nhead, { dimFeedforward: c.dimFeedforward, normFirst: c.normFirst, activation: c.activation }).eval();
      layer.loadStateDict(torchAttentionStateDict(asDict(c.state)));
      const x = leaf(c.x);
      const y = layer.forward(x, { isCausal: true, srcKeyPaddingMask: c.srcKeyPaddingMask });
      fclose(y.data, c.y.data);
      sum(mul(y, new Tensor(new Float32Array(c.upstream.data), c.upstream.shape))).backward();
      fclose(x.grad!, c.dx.data);
      const want = torchAttentionStateDict(asDict(c.grads));
      const got = Object.fromEntries(layer.namedParameters());
      expect(Object.keys(want).sort()).toEqual(Object.keys(got).sort());
      for (const [name, g] of Object.entries(want)) fclose(got[name].grad!, g.data);
    });
  }

  for (const c of fx.decoderLayer) {
    it(`TransformerDecoderLayer normFirst=${c.normFirst}, eval: output and gradients to tgt and memory`, () => {
      const layer = new TransformerDecoderLayer(c.dModel, c.nhead, { dimFeedforward: c.dimFeedforward, normFirst: c.normFirst }).eval();
      layer.loadStateDict(torchAttentionStateDict(asDict(c.state)));
      const tgt = leaf(c.tgt), memory = leaf(c.memory);
      const y = layer.forward(tgt, memory, { tgtMask: generateSquareSubsequentMask(tgt.shape[1]), memoryKeyPaddingMask: c.memoryKeyPaddingMask });
      fclose(y.data, c.y.data);
      sum(mul(y, new Tensor(new Float32Array(c.upstream.data), c.upstream.shape))).backward();
      fclose(tgt.grad!, c.dtgt.data);
      fclose(memory.grad!, c.dmemory.data);
    });
  }
});

// ---------------------------------------------------------------- transformer layers

describe('TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer', () => {
  it('submodule and parameter names are PyTorch\'s (camelCase), so PyTorch state dicts load strictly', () => {
    const enc = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    expect(enc.namedChildren().map(([n]) => n)).toEqual(['selfAttn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'dropout1', 'dropout2']);
    const dec = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    expect(dec.namedChildren().map(([n]) => n)).toEqual([
      'selfAttn', 'multiheadAttn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'norm3', 'dropout1', 'dropout2', 'dropout3',
    ]);
    expect(enc.linear1.weight.shape).toEqual([16, 8]);
    expect(enc.selfAttn.dropout).toBe(0.1);
  });

  it('post-norm and pre-norm equal their formulas written with the submodules', () => {
    const rng = new Generator(19);
    for (const normFirst of [false, true]) {
      const l = new TransformerEncoderLayer(6, 3, { dimFeedforward: 10, normFirst, activation: 'gelu', rng }).eval();
      for (const n of [l.norm1, l.norm2]) {
        rng.fillNormal(n.weight!.data, 1, 0.2);
        rng.fillNormal(n.bias!.data, 0, 0.2);
      }
      const x = randT([2, 4, 6], rng);
      const sa = (z: Tensor) => l.selfAttn.forward(z, z, z).output;
      const ff = (z: Tensor) => l.linear2.forward(gelu(l.linear1.forward(z)));
      const want = normFirst
        ? ((z: Tensor) => add(z, ff(l.norm2.forward(z))))(add(x, sa(l.norm1.forward(x))))
        : ((z: Tensor) => l.norm2.forward(add(z, ff(z))))(l.norm1.forward(add(x, sa(x))));
      expectClose(l.forward(x).data, want.data, 1e-6, 1e-5);
    }
  });

  it('isCausal equals srcMask = generateSquareSubsequentMask; gradients flow to the input', () => {
    const rng = new Generator(20);
    const l = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, rng }).eval();
    const x = randT([2, 5, 4], rng);
    expectClose(l.forward(x, { isCausal: true }).data, l.forward(x, { srcMask: generateSquareSubsequentMask(5) }).data, 1e-6, 1e-6);
    expectGrad((z) => l.forward(z, { isCausal: true, srcKeyPaddingMask: [[false, false, false, false, true], [false, false, false, false, false]] }), [x]);
  });

  it('TransformerEncoder: copies of one layer (same initial weights, separate tensors), factory layers, final norm', () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0 });
    const enc = new TransformerEncoder(layer, 3, { norm: new LayerNorm(4) });
    expect(enc.layers.length).toBe(3);
    expect(enc.namedParameters().length).toBe(3 * 16 + 2);
    expect(enc.namedParameters()[16][0]).toBe('layers.1.selfAttn.qProj.weight');
    expect(enc.namedParameters().at(-1)![0]).toBe('norm.bias');
    expect(enc.layers[1].namedParameters()[0][1].toArray()).toEqual(layer.selfAttn.qProj.weight.toArray());
    expect(enc.layers[1].namedParameters()[0][1]).not.toBe(enc.layers[0].namedParameters()[0][1]);
    expect(enc.layers[0]).not.toBe(layer);
    const x = randT([2, 3, 4], new Generator(21));
    let want = x;
    for (const l of enc.layers) want = l.forward(want, { isCausal: true });
    expectClose(enc.forward(x, { isCausal: true }).data, enc.norm!.forward(want).data, 1e-6, 1e-6);
    const fac = new TransformerEncoder((i) => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, rng: new Generator(i) }), 2);
    expect(fac.layers[0].namedParameters()[0][1].toArray()).not.toEqual(fac.layers[1].namedParameters()[0][1].toArray());
    expect(() => new TransformerEncoder(layer, 0)).toThrow(ArgumentError);
    expect(() => new TransformerEncoder(new Linear(2, 2) as never, 2)).toThrow(/clone/);
  });

  it('TransformerDecoderLayer: tgtIsCausal equals the subsequent mask; gradients to tgt and memory; TransformerDecoder stacks', () => {
    const rng = new Generator(22);
    const l = new TransformerDecoderLayer(4, 2, { dimFeedforward: 8, rng, normFirst: true }).eval();
    const t = randT([2, 3, 4], rng), mem = randT([2, 5, 4], rng);
    expectClose(l.forward(t, mem, { tgtIsCausal: true }).data, l.forward(t, mem, { tgtMask: generateSquareSubsequentMask(3) }).data, 1e-6, 1e-6);
    const mkpm = [[false, false, true, false, false], [false, false, false, false, true]];
    expectGrad((a, b) => l.forward(a, b, { tgtIsCausal: true, memoryKeyPaddingMask: mkpm }), [t, mem]);
    const dec = new TransformerDecoder(l, 2).eval();
    expectClose(dec.forward(t, mem).data, dec.layers[1].forward(dec.layers[0].forward(t, mem), mem).data, 1e-6, 1e-6);
  });

  it('dropout in training is seeded; eval is deterministic and dropout-free', () => {
    const mk = () => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0.3, rng: new Generator(23) });
    const x = randT([2, 3, 4], new Generator(24));
    expect(mk().forward(x).toArray()).toEqual(mk().forward(x).toArray());
    const a = mk();
    const trainOut = a.forward(x).toArray();
    const evalOut = a.eval().forward(x).toArray();
    expect(trainOut).not.toEqual(evalOut);
    expect(a.forward(x).toArray()).toEqual(evalOut);
  });

  it('bad options and inputs throw typed errors', () => {
    expect(() => new TransformerEncoderLayer(6, 4)).toThrow(/embedDim 6 must be divisible by numHeads 4/);
    expect(() => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as never })).toThrow(ArgumentError);
    expect(() => new TransformerEncoderLayer(8, 2, { dropout: 2 })).toThrow(ArgumentError);
    expect(() => new TransformerDecoderLayer(8, 0)).toThrow(ArgumentError);
    const l = new TransformerEncoderLayer(8, 2, { dimFeedforward: 8 });
    expect(() => l.forward(zeros([2, 3, 6]))).toThrow(/src \[2, 3, 6\] must be \(B, T, dModel\)/);
    expect(() => new TransformerDecoderLayer(8, 2).forward(zeros([1, 2, 8]), zeros([1, 2, 4]))).toThrow(/memory \[1, 2, 4\]/);
    expect(() => l.forward(zeros([2, 3, 8]), { srcKeyPaddingMask: [[true, false]] })).toThrow(ShapeError);
  });
});

// ---------------------------------------------------------------- PositionalEncoding

describe('PositionalEncoding', () => {
  it('the table is sin/cos of t / 10000^(2j/d) in float64, rounded once (even and odd widths)', () => {
    for (const d of [6, 7, 1]) {
      const pe = new PositionalEncoding(d, { maxLen: 50 });
      expect(pe.pe.shape).toEqual([50, d]);
      const want = new Float64Array(50 * d);
      for (let t = 0; t < 50; t++) {
        for (let i = 0; i < d; i++) {
          const j = Math.floor(i / 2);
          const angle = t / Math.pow(10000, (2 * j) / d);
          want[t * d + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        }
      }
      expectClose(pe.pe.data, want, 1e-6, 1e-6);
    }
  });

  it('adds the first T rows to every batch element; the table is a buffer, not a parameter', () => {
    const pe = new PositionalEncoding(4, { maxLen: 8 });
    const x = randT([3, 5, 4], new Generator(25));
    const y = pe.forward(x);
    for (let b = 0; b < 3; b++) for (let i = 0; i < 20; i++) expect(y.data[b * 20 + i]).toBeCloseTo(x.data[b * 20 + i] + pe.pe.data[i], 6);
    expect(pe.namedParameters()).toEqual([]);
    expect(pe.namedBuffers().map(([n]) => n)).toEqual(['pe']);
    expect(pe.forward(zeros([2, 4])).toArray()).toEqual(Array.from(pe.pe.data.subarray(0, 8)));
    expect(new PositionalEncoding(8).pe.shape).toEqual([5000, 8]);
    expectGrad((z) => pe.forward(z), [x]);
  });

  it('dropout after the sum, and errors for too long or too wide inputs', () => {
    const pe = new PositionalEncoding(4, { maxLen: 8, dropout: 0.5, rng: new Generator(26) });
    const y = pe.forward(zeros([2, 6, 4])).toArray();
    expect(y.some((v) => v === 0)).toBe(true);
    expect(pe.eval().forward(zeros([1, 2, 4])).toArray()).toEqual(Array.from(pe.pe.data.subarray(0, 8)));
    expect(() => pe.forward(zeros([1, 9, 4]))).toThrow(/x \[1, 9, 4\] has 9 positions but the table has maxLen = 8/);
    expect(() => pe.forward(zeros([1, 3, 5]))).toThrow(ShapeError);
    expect(() => new PositionalEncoding(0)).toThrow(ArgumentError);
  });
});
