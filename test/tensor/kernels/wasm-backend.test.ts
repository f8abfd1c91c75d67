import { afterEach, describe, expect, it } from 'vitest';
import { activeBackend, defaultBackend, installBackend, js, kernels, wasm } from '../../../src/tensor/kernels/backend';
import { forceSimdProbe, simdSupported } from '../../../src/tensor/kernels/wasm/index';
import { gemmCompileMs } from '../../../src/tensor/kernels/wasm/gemm';
import { ArgumentError, Generator, getBackend, matmul, randn, setBackend, wasmAvailable } from '../../../src/tensor/index';

describe('backend selection', () => {
  const start = getBackend();
  afterEach(() => {
    forceSimdProbe(null);
    setBackend(start);
  });

  it('Node 20 validates SIMD128, so wasm is available and the default', () => {
    expect(simdSupported()).toBe(true);
    expect(wasmAvailable()).toBe(true);
    expect(defaultBackend()).toBe('wasm');
  });

  it('setBackend installs the named table in the object the ops hold; getBackend reports it', () => {
    setBackend('js');
    expect(getBackend()).toBe('js');
    expect(kernels.gemm).toBe(js.gemm);
    setBackend('wasm');
    expect(getBackend()).toBe('wasm');
    expect(kernels.gemm).toBe(wasm.gemm);
    expect(wasm.gemm).not.toBe(js.gemm);
    expect(wasm.avgPool2dForward).toBe(js.avgPool2dForward); // entries not written in wasm stay the JS ones
  });

  it('an unknown name is an ArgumentError naming the choices, and changes nothing', () => {
    setBackend('js');
    expect(() => setBackend('gpu' as 'js')).toThrow(ArgumentError);
    expect(() => setBackend('gpu' as 'js')).toThrow(/setBackend: name must be one of/);
    expect(getBackend()).toBe('js');
  });

  it('without SIMD: js is the default, setBackend(\'wasm\') is a typed error, and the active table stays', () => {
    setBackend('js');
    forceSimdProbe(false);
    expect(defaultBackend()).toBe('js');
    expect(wasmAvailable()).toBe(false);
    expect(() => setBackend('wasm')).toThrow(ArgumentError);
    expect(() => setBackend('wasm')).toThrow(/setBackend: name 'wasm' is not available: this engine has no WebAssembly SIMD128/);
    expect(installBackend('wasm')).toBe(false);
    expect(getBackend()).toBe('js');
    expect(activeBackend()).toBe('js');
    expect(kernels.gemm).toBe(js.gemm);
  });

  it('matmul with its gradients agrees under both backends within float32 rounding', () => {
    const run = (): number[] => {
      const g = new Generator(3);
      const a = randn([37, 70], { rng: g, requiresGrad: true }), b = randn([70, 45], { rng: g, requiresGrad: true });
      const y = matmul(a, b);
      y.sum().backward();
      return [...y.toArray().flat(), ...a.grad!, ...b.grad!];
    };
    setBackend('js');
    const ref = run();
    setBackend('wasm');
    const got = run();
    expect(got.length).toBe(ref.length);
    // Each entry is a sum of at most 70 products of N(0, 1) values: float32 rounding ≲ 70·2⁻²⁴·Σ|a||b|.
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ref[i])));
  });

  // The 20 ms startup budget is measured by bench/startup.ts (fresh processes), not by a timed test.
  it('compiles the GEMM module on first use and records how long it took', () => {
    setBackend('wasm');
    const out = new Float32Array(64 * 64);
    kernels.gemm(out, 0, new Float32Array(64 * 64), 0, new Float32Array(64 * 64), 0, 64, 64, 64, false, false, false);
    expect(gemmCompileMs).toBeGreaterThan(0);
    expect(Number.isFinite(gemmCompileMs)).toBe(true);
  });
});
