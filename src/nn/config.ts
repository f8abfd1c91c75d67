import { ArgumentError, Generator, defaultGenerator } from '../tensor/index';
import type { ModuleConfig } from './module';
import { isPlainObject, parseOptions, type OptionSpec, type Parsed } from '../tensor/options';

// How every built-in layer reads its constructor arguments and its generator (internal: not
// re-exported by the nn barrel).
//
// A layer takes either its positional form, `new Linear(2, 3, { bias: false })`, or, as its single
// argument, the object its own `config().options` returns, `new Linear({ inFeatures: 2,
// outFeatures: 3, bias: false })`. Both go through one spec, so a file's config and a user's
// options are validated by the same checks with the same wording (`Linear: bias must be a
// boolean, got "false"`), and io rebuilds any layer with `new C(config.options)`.

/**
 * The checked options of a layer built from positional arguments or from its config object.
 *
 * `names` are the positional arguments' keys in `spec`, `values` their values as passed: when
 * `values[0]` is a plain object (and a plain object is not a valid first positional argument), it
 * is the whole config and every other argument must be absent. Otherwise each positional value is
 * checked under its name and `options` (the trailing options object) may hold only the other keys
 * of `spec`. Every key of `required` must end up present.
 * @throws ArgumentError naming `op`, the key and the value.
 * @internal
 */
export function layerArgs<S extends OptionSpec>(
  op: string, spec: S, names: readonly (keyof S & string)[], values: readonly unknown[], options: unknown,
  required: readonly (keyof S & string)[] = names,
): Parsed<S> {
  let out: Record<string, unknown>;
  if (names.length > 0 && isPlainObject(values[0])) {
    for (let i = 1; i < values.length; i++) {
      if (values[i] !== undefined) throw new ArgumentError(`${op}: a config object must be the only argument, got a second argument ${String(names[i] ?? 'options')}`);
    }
    if (options !== undefined) throw new ArgumentError(`${op}: a config object must be the only argument, got an options object too`);
    out = parseOptions(op, values[0], spec);
  } else {
    const rest: OptionSpec = {};
    for (const k of Object.keys(spec)) if (!names.includes(k)) rest[k] = spec[k];
    out = parseOptions(op, options, rest);
    for (let i = 0; i < names.length; i++) if (values[i] !== undefined) out[names[i]] = spec[names[i]](values[i], names[i], op);
  }
  for (const k of required) if (out[k] === undefined) spec[k](undefined, k, op);
  return out as Parsed<S>;
}

/**
 * The generator a layer draws from: the one it was given, else the default one, looked up at the
 * moment of the draw. Layers keep the `rng` they were given (or undefined) and call this for their
 * initial weights and again for every forward-time draw (dropout masks), so a layer built before
 * `manualSeed(n)` draws the same masks as one built after.
 * @internal
 */
export function layerRng(rng: Generator | undefined): Generator {
  return rng ?? defaultGenerator();
}

/**
 * What a built-in layer's `config()` returns: a {@link ModuleConfig} whose `options` are typed as
 * the layer's single-argument constructor form, so `new Linear(lin.config().options)` type-checks.
 * @example new Linear(new Linear(2, 3).config().options).outFeatures; // 3
 * @category Modules
 */
export type LayerConfig<O> = ModuleConfig & {
  /** What the constructor takes back as its single argument. */
  options: O;
};

/** What `config()` of a module without options returns (ReLU, Tanh, Sigmoid, Identity). @category Modules */
export interface OptionlessConfig extends ModuleConfig {
  /** None: the module takes no options, and its constructor refuses any. */
  options?: Record<string, never>;
}
