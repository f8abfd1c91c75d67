import { createRequire } from 'node:module';

let done = false;
/**
 * Registers tfjs's gradient functions. The Node entry of `@tensorflow/tfjs-core` ships without
 * them (`tf.grads` fails with "gradient function not found"); the `@tensorflow/tfjs` union
 * package's Node bundle registers them all into tfjs's global registry when loaded, and every tfjs
 * entry shares that registry and engine.
 */
export function registerTfGradients(): void {
  if (done) return;
  createRequire(import.meta.url)('@tensorflow/tfjs');
  done = true;
}
