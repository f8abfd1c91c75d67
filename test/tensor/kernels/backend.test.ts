import { afterEach, describe, expect, it } from 'vitest';
import { activeBackend, getKernels, js, kernelNames, kernels, useKernels, wasm, type Kernels } from '../../../src/tensor/kernels/backend';
import { oracles } from '../../../src/tensor/kernels/oracles';
import { Generator, conv2d, convTranspose2d, gruLayer, lstmLayer, matmul, randn, rnnLayer, sum } from '../../../src/tensor/index';
import type { Tensor } from '../../../src/tensor/index';

/** The js table with the named kernels wrapped to count their calls. */
function spying(names: (keyof Kernels)[]): { table: Kernels; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const table: Kernels = { ...js };
  for (const name of names) {
    calls[name] = 0;
    const inner = js[name] as (...a: unknown[]) => void;
    (table as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      calls[name]++;
      inner(...a);
    };
  }
  return { table, calls };
}

const rng = () => new Generator(7);
const param = (shape: number[], g: Generator): Tensor => randn(shape, { rng: g, requiresGrad: true });

describe('the kernel table', () => {
  afterEach(() => { useKernels(js); });

  it('lists every kernel of the js backend, each a function, and starts as the default backend', () => {
    expect(kernelNames.length).toBeGreaterThan(100);
    const start = activeBackend() === 'wasm' ? wasm : js;
    for (const name of kernelNames) {
      expect(typeof js[name], name).toBe('function');
      expect(kernels[name], name).toBe(start[name]);
    }
  });

  it('useKernels installs a table in the object the ops hold, and returns the one it replaced', () => {
    const { table } = spying(['gemm']);
    const before = useKernels(table);
    expect(before.gemm).toBe(js.gemm);
    expect(kernels.gemm).toBe(table.gemm);
    expect(getKernels().gemm).toBe(table.gemm);
    const replaced = useKernels(before);
    expect(replaced.gemm).toBe(table.gemm);
    expect(kernels.gemm).toBe(js.gemm);
  });

  it('useKernels rejects a partial table or an unknown entry and leaves the active table as it was', () => {
    const { gemm: _gemm, ...partial } = js;
    expect(() => useKernels(partial as Kernels)).toThrow(/useKernels: the table has no kernel 'gemm'/);
    expect(() => useKernels({ ...js, gemmFast: js.gemm } as Kernels)).toThrow(/useKernels: 'gemmFast' is not a kernel/);
    expect(kernels.gemm).toBe(js.gemm);
  });

  it('matmul, conv2d (1×1, and stride 2 backward), convTranspose2d and every recurrent layer reach gemm through the table', () => {
    const { table, calls } = spying(['gemm']);
    useKernels(table);
    const g = rng();
    const count = (f: () => void): number => {
      calls.gemm = 0;
      f();
      return calls.gemm;
    };
    expect(count(() => matmul(param([3, 4], g), param([4, 5], g)))).toBeGreaterThan(0);
    // A 1×1 convolution is a plain GEMM on the image; a stride-2 input gradient is a GEMM into columns.
    expect(count(() => conv2d(param([2, 3, 5, 5], g), param([4, 3, 1, 1], g)))).toBeGreaterThan(0);
    expect(count(() => sum(conv2d(param([1, 2, 5, 5], g), param([2, 2, 3, 3], g), null, { stride: 2 })).backward())).toBeGreaterThan(0);
    expect(count(() => convTranspose2d(param([1, 2, 3, 3], g), param([2, 2, 3, 3], g), null, { stride: 2 }))).toBeGreaterThan(0);
    for (const [layer, G] of [[lstmLayer, 4], [gruLayer, 3], [rnnLayer, 1]] as const) {
      const x = param([2, 3, 4], g), wIh = param([G * 5, 4], g), wHh = param([G * 5, 5], g);
      const n = count(() => {
        const r = layer === lstmLayer ? lstmLayer(x, null, null, wIh, wHh, null, null) : (layer as typeof rnnLayer)(x, null, wIh, wHh, null, null);
        sum(r.output).backward();
      });
      // The input projection, one product per step forward and back, the weight gradients.
      expect(n, layer.name).toBeGreaterThanOrEqual(1 + 3 + 2 + 3);
    }
  });

  it('the stride-1 input gradient of conv2d and the transposed convolution\'s backward reach conv2dForward through the table', () => {
    const { table, calls } = spying(['conv2dForward']);
    useKernels(table);
    const g = rng();
    const x = param([1, 2, 6, 6], g), w = param([3, 2, 3, 3], g);
    sum(conv2d(x, w, null, { padding: 1 })).backward();
    expect(calls.conv2dForward).toBe(2); // the forward pass, then dx as a forward pass of dy
    calls.conv2dForward = 0;
    sum(convTranspose2d(param([1, 3, 4, 4], g), param([3, 2, 3, 3], g))).backward();
    expect(calls.conv2dForward).toBe(2); // the forward pass (stride 1), then dx = conv2d(dy, w)
  });

  it('ops give the same results on the oracle table as on the js backend', () => {
    const run = (): number[] => {
      const g = rng();
      const x = param([2, 2, 5, 5], g), w = param([3, 2, 3, 3], g);
      const y = conv2d(x, w, null, { padding: 1 });
      const r = lstmLayer(param([2, 3, 4], g), null, null, param([8, 4], g), param([8, 2], g), null, null);
      const loss = sum(matmul(y.reshape([2, 75]), param([75, 2], g))).add(sum(r.output));
      loss.backward();
      return [...loss.toArray(), ...x.grad!, ...w.grad!];
    };
    const ref = run();
    useKernels({ ...js, ...oracles });
    const got = run();
    expect(got.length).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ref[i])));
  });
});
