import fc from 'fast-check';
import { setBackend, type Backend } from '../src/tensor/index';

// Every property test is seeded: a failure reproduces on every run and every machine.
fc.configureGlobal({ seed: 20261129 });

// TENSORKIT_BACKEND=js|wasm runs the suite on that backend (CI runs it under both); unset, the
// default backend (wasm where WebAssembly SIMD validates).
const backend = process.env.TENSORKIT_BACKEND;
if (backend !== undefined && backend !== '') setBackend(backend as Backend);
