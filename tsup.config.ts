import { defineConfig } from 'tsup';

/*
 * Build for the package's `exports` map (see package.json):
 *   .         → dist/index.{js,cjs,d.ts,d.cts}
 *   ./tensor  → dist/tensor/index.{js,cjs,d.ts,d.cts}
 *   ./linalg  → dist/tensor/linalg.{js,cjs,d.ts,d.cts}
 *   ./nn      → dist/nn/index.*     ./train → dist/train/index.*
 * The entry names below are the output paths relative to dist/ (without extension). The package is
 * `"type": "module"`, so tsup writes ESM as `.js`/`.d.ts` and CommonJS as `.cjs`/`.d.cts`.
 *
 * `splitting: true` applies to both formats: shared code (Tensor, autograd, …) goes into chunk files
 * imported/required by every entry, so `require('tensorkit').Tensor` and the Tensor used by
 * `require('tensorkit/linalg')` are one class (instanceof checks hold across subpaths).
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'tensor/index': 'src/tensor/index.ts',
    'tensor/linalg': 'src/tensor/linalg.ts',
    'nn/index': 'src/nn/index.ts',
    'train/index': 'src/train/index.ts',
    'optim/index': 'src/optim/index.ts',
    'metrics/index': 'src/metrics/index.ts',
    'models/index': 'src/models/index.ts',
    'compress/index': 'src/compress/index.ts',
    'explain/index': 'src/explain/index.ts',
    'monitor/index': 'src/monitor/index.ts',
    'privacy/index': 'src/privacy/index.ts',
    'serve/index': 'src/serve/index.ts',
    'plot/index': 'src/plot/index.ts',
    'cli/index': 'src/cli/index.ts',
    'io/index': 'src/io/index.ts',
    'io/node': 'src/io/node.ts',
    'data/index': 'src/data/index.ts',
    'data/node': 'src/data/node.ts',
  },
  // Node built-ins stay imports (only the Node-only entries such as data/node use them).
  external: [/^node:/],
  outDir: 'dist',
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  splitting: true,
  minify: false,
  shims: false,
  // Keep class and function names as written: error messages, stack traces and `constructor.name`
  // say `Tensor` and `Parameter`, not the `_Tensor` esbuild would otherwise rename them to.
  esbuildOptions(options) {
    options.keepNames = true;
  },
  outExtension({ format }) {
    return format === 'cjs' ? { js: '.cjs', dts: '.d.cts' } : { js: '.js', dts: '.d.ts' };
  },
});
