import { createRequire } from 'node:module';

let done = false;
/**
 * Registers tfjs's gradient functions. The Node entry of `@tensorflow/tfjs-core` (a CommonJS
 * bundle) ships without them, so `tf.grads` fails with "gradient function not found". They are
 * registered by `dist/register_all_gradients`, whose directory imports need CommonJS resolution;
 * tfjs's gradient registry is global, so the bundle the benches import sees them.
 */
export function registerTfGradients(): void {
  if (done) return;
  createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');
  done = true;
}
