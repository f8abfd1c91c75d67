/**
 * Row kernels of the broadcasting binary ops, driven by `mapRows` (see strided.ts). Forward rows
 * overwrite out[o + i] from a = p, b = q; backward rows accumulate into out[o + i] from
 * dy = p (contiguous), a = q and b = r (their broadcast strides).
 */
import type { RowKernel } from './strided';

export const addRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] + b[bi + i * bs];
};
export const subRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] - b[bi + i * bs];
};
export const mulRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] * b[bi + i * bs];
};
export const divRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] / b[bi + i * bs];
};
/** aᵇ with the IEEE 754 (C, PyTorch) cases Math.pow gets wrong: 1ᵇ = 1 for every b, NaN too, and (−1)^±∞ = 1. */
export const powRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as], e = b[bi + i * bs];
    out[o + i] = x === 1 || (x === -1 && (e === Infinity || e === -Infinity)) ? 1 : Math.pow(x, e);
  }
};
/** NaN in either operand gives NaN (as torch.maximum), never the other value. */
export const maximumRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as], y = b[bi + i * bs];
    out[o + i] = x !== x || y !== y ? NaN : x > y ? x : y;
  }
};
export const minimumRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as], y = b[bi + i * bs];
    out[o + i] = x !== x || y !== y ? NaN : x < y ? x : y;
  }
};
export const eqRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] === b[bi + i * bs] ? 1 : 0;
};
export const neRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] !== b[bi + i * bs] ? 1 : 0;
};
export const gtRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] > b[bi + i * bs] ? 1 : 0;
};
export const geRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] >= b[bi + i * bs] ? 1 : 0;
};
export const ltRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] < b[bi + i * bs] ? 1 : 0;
};
export const leRow: RowKernel = (out, o, n, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = a[ai + i * as] <= b[bi + i * bs] ? 1 : 0;
};
/** where: out = cond ≠ 0 ? a : b, with cond = p, a = q, b = r. */
export const whereRow: RowKernel = (out, o, n, c, ci, cs, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] = c[ci + i * cs] !== 0 ? a[ai + i * as] : b[bi + i * bs];
};

// ---- backward rows: out += ∂/∂(operand) · dy; dy = p, a = q, b = r ----

/** d(a ± b)/da = 1: out += dy. */
export const copyGradRow: RowKernel = (out, o, n, dy, di) => {
  for (let i = 0; i < n; i++) out[o + i] += dy[di + i];
};
/** d(a − b)/db = −1: out −= dy. */
export const negGradRow: RowKernel = (out, o, n, dy, di) => {
  for (let i = 0; i < n; i++) out[o + i] -= dy[di + i];
};
/** d(a·b)/da = b. */
export const mulGradARow: RowKernel = (out, o, n, dy, di, _ds, _a, _ai, _as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] += dy[di + i] * b[bi + i * bs];
};
/** d(a·b)/db = a. */
export const mulGradBRow: RowKernel = (out, o, n, dy, di, _ds, a, ai, as) => {
  for (let i = 0; i < n; i++) out[o + i] += dy[di + i] * a[ai + i * as];
};
/** d(a/b)/da = 1/b. */
export const divGradARow: RowKernel = (out, o, n, dy, di, _ds, _a, _ai, _as, b, bi, bs) => {
  for (let i = 0; i < n; i++) out[o + i] += dy[di + i] / b[bi + i * bs];
};
/** d(a/b)/db = −a/b². */
export const divGradBRow: RowKernel = (out, o, n, dy, di, _ds, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const y = b[bi + i * bs];
    out[o + i] -= (dy[di + i] * a[ai + i * as]) / (y * y);
  }
};
/** d(aᵇ)/da = b·aᵇ⁻¹; zero where b = 0 (as PyTorch), so 0⁰ has no NaN gradient. */
export const powGradARow: RowKernel = (out, o, n, dy, di, _ds, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const e = b[bi + i * bs];
    if (e !== 0) out[o + i] += dy[di + i] * e * Math.pow(a[ai + i * as], e - 1);
  }
};
/** d(aᵇ)/db = aᵇ·ln a; zero where a = 0 and b ≥ 0 (as PyTorch). */
export const powGradBRow: RowKernel = (out, o, n, dy, di, _ds, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as], e = b[bi + i * bs];
    if (x === 0 && e >= 0) continue;
    out[o + i] += dy[di + i] * Math.pow(x, e) * Math.log(x);
  }
};
/** d max(a, b)/da: 1 where a > b, ½ at ties (the gradient is split, as torch.maximum), else 0. */
export const maximumGradARow: RowKernel = (out, o, n, dy, di, _ds, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as], y = b[bi + i * bs];
    if (x > y) out[o + i] += dy[di + i];
    else if (x === y) out[o + i] += 0.5 * dy[di + i];
    else if (x !== x) out[o + i] += dy[di + i];
  }
};
export const maximumGradBRow: RowKernel = (out, o, n, dy, di, _ds, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as], y = b[bi + i * bs];
    if (y > x) out[o + i] += dy[di + i];
    else if (x === y) out[o + i] += 0.5 * dy[di + i];
    else if (y !== y) out[o + i] += dy[di + i];
  }
};
export const minimumGradARow: RowKernel = (out, o, n, dy, di, _ds, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as], y = b[bi + i * bs];
    if (x < y) out[o + i] += dy[di + i];
    else if (x === y) out[o + i] += 0.5 * dy[di + i];
    else if (x !== x) out[o + i] += dy[di + i];
  }
};
export const minimumGradBRow: RowKernel = (out, o, n, dy, di, _ds, a, ai, as, b, bi, bs) => {
  for (let i = 0; i < n; i++) {
    const x = a[ai + i * as], y = b[bi + i * bs];
    if (y < x) out[o + i] += dy[di + i];
    else if (x === y) out[o + i] += 0.5 * dy[di + i];
    else if (y !== y) out[o + i] += dy[di + i];
  }
};
/** where: gradient flows to a where cond ≠ 0 (cond = q here, a's slot). */
export const whereGradARow: RowKernel = (out, o, n, dy, di, _ds, c, ci, cs) => {
  for (let i = 0; i < n; i++) if (c[ci + i * cs] !== 0) out[o + i] += dy[di + i];
};
export const whereGradBRow: RowKernel = (out, o, n, dy, di, _ds, c, ci, cs) => {
  for (let i = 0; i < n; i++) if (c[ci + i * cs] === 0) out[o + i] += dy[di + i];
};
