import { ArgumentError } from '../../tensor/index';
import { describe } from '../../tensor/shape';
import type { Module, ModuleConfig } from '../../nn/index';
import { Autoencoder } from './autoencoder';
import { CNN } from './cnn';
import { Detector } from './detector';
import { MLP } from './mlp';
import { RecurrentClassifier, SequenceTagger } from './recurrent';
import { Seq2Seq } from './seq2seq';
import { TransformerClassifier, TransformerLM } from './transformer';
import { VAE } from './vae';
import { Word2Vec } from './word2vec';

export { MLP, type MLPOptions } from './mlp';
export { CNN, type CNNOptions, type ConvBlockOptions } from './cnn';
export {
  RecurrentClassifier, SequenceTagger,
  type RecurrentCell, type RecurrentInputOptions, type RecurrentClassifierOptions, type SequenceTaggerOptions,
} from './recurrent';
export { Seq2Seq, type Seq2SeqOptions, type Seq2SeqAttention, type GreedyDecodeOptions, type BeamSearchOptions } from './seq2seq';
export {
  TransformerClassifier, TransformerLM,
  type TransformerFamilyOptions, type TransformerClassifierOptions, type GenerateOptions,
} from './transformer';
export { Word2Vec, type Word2VecOptions, type Word2VecTrainOptions, type Word2VecTrainResult } from './word2vec';
export { Autoencoder, type AutoencoderOptions } from './autoencoder';
export { Detector, type DetectorOptions, type DetectOptions, type Detections } from './detector';
export { VAE, type VAEOptions, type VAESampleOptions, type VAEDrawOptions, type VAEFitPriorOptions, type VAEPosterior, type ELBOTerms } from './vae';
export { sequenceCrossEntropy, type FamilyActivation } from './util';

// Each family's constructor takes exactly the options its config() returns.
const FAMILIES: Record<string, new (options: never) => Module> = {
  MLP, CNN, RecurrentClassifier, SequenceTagger, Seq2Seq, TransformerClassifier, TransformerLM, Word2Vec, Autoencoder,
  Detector,
  VAE,
};

/** Names of the model families {@link familyFromConfig} can rebuild. */
export const MODEL_FAMILIES: readonly string[] = Object.keys(FAMILIES);

/**
 * Rebuilds a model family from its `config()`: `new Family(config.options)`, freshly initialized;
 * load its weights with `loadStateDict`. Pass `rng` for seeded initial weights.
 * @example
 * const mlp = new MLP({ inFeatures: 2, hiddenSizes: [4], outFeatures: 1 });
 * const copy = familyFromConfig(mlp.config());
 * copy.loadStateDict(mlp.stateDict());
 * copy instanceof MLP; // true
 * @throws ArgumentError for an unknown type; the family's own errors for bad options.
 * @category Models
 */
export function familyFromConfig(config: ModuleConfig, options: { rng?: unknown } = {}): Module {
  if (config === null || typeof config !== 'object' || typeof config.type !== 'string') {
    throw new ArgumentError(`familyFromConfig: expected { type, options }, got ${describe(config)}`);
  }
  const Ctor = FAMILIES[config.type];
  if (Ctor === undefined) throw new ArgumentError(`familyFromConfig: unknown model family ${JSON.stringify(config.type)} (known: ${MODEL_FAMILIES.join(', ')})`);
  const opts = { ...(config.options ?? {}), ...(options?.rng === undefined ? {} : { rng: options.rng }) };
  return new Ctor(opts as never);
}

/**
 * The model family classes by config `type`, in the shape `loadModel`'s `registry` takes (a type →
 * a class called as `new C(config.options)`), so saved families load back:
 * `loadModel(bytes, { registry: familyFactories })`. (`io` cannot import `models`, so the families
 * are not in its built-in allowlist.) {@link modelClasses} holds these and every other savable.
 * @example
 * Object.keys(familyFactories).length; // 11
 * new familyFactories.MLP(new MLP({ inFeatures: 2, outFeatures: 1 }).config().options!) instanceof MLP; // true
 * @category Models
 */
export const familyFactories: Readonly<Record<string, new (options: Record<string, unknown>) => Module>> = Object.freeze(
  { ...FAMILIES } as Record<string, new (options: Record<string, unknown>) => Module>,
);
