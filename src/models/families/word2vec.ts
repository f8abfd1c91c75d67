import { ArgumentError, Generator, Parameter, Tensor, defaultGenerator, embedding } from '../../tensor/index';
import { describe } from '../../tensor/shape';
import { Module, type ModuleConfig } from '../../nn/index';
import { checkArg, int, nonNeg, parseOptions, posInt, positive, rng as rngCheck } from '../../tensor/options';

/** Options of {@link Word2Vec}. */
export interface Word2VecOptions {
  /** Number of token ids V. Required. */
  vocabSize: number;
  /** Vector width D (default 50). */
  embeddingDim?: number;
  /** Largest distance between a center word and a context word (default 5). */
  window?: number;
  /** Noise words per (center, context) pair (default 5). */
  negative?: number;
  /** Generator of the initial vectors and of training's windows, noise words and subsampling (default: the global one). Not saved in config(). */
  rng?: Generator;
}

/** Options of {@link Word2Vec.train}. */
export interface Word2VecTrainOptions {
  /** Passes over the sentences (default 5). */
  epochs?: number;
  /** Starting learning rate, decayed linearly to lr·1e-4 over training (default 0.025, as word2vec). */
  lr?: number;
  /**
   * Subsampling threshold t: a word of corpus frequency f is kept with probability
   * min(1, √(t/f) + t/f) (word2vec's formula; default 0: keep every word; 1e-3 on large corpora).
   */
  subsample?: number;
}

/** What {@link Word2Vec.train} returns. */
export interface Word2VecTrainResult {
  /** Mean negative-sampling loss per (center, context) pair, per epoch. */
  losses: number[];
  /** (center, context) pairs trained on, over all epochs. */
  pairs: number;
}

/**
 * Skip-gram with negative sampling (Mikolov et al. 2013): for each center word c and each context
 * word o within a window (its radius drawn uniformly from 1 … window for each center, as word2vec),
 * minimize −log σ(u_oᵀv_c) − Σ_{k=1..negative} log σ(−u_kᵀv_c), with noise words k drawn from the
 * unigram distribution raised to the 3/4 power. v = `embeddings` (the word vectors), u =
 * `contextEmbeddings`. {@link Word2Vec.train} runs its own SGD loop on the raw buffers (no autograd:
 * each pair touches 2 + negative rows); `forward` looks vectors up.
 * Shapes: forward ids (…) → (…, embeddingDim); embeddings and contextEmbeddings [vocabSize, embeddingDim].
 * Init: embeddings U(−0.5/D, 0.5/D), contextEmbeddings 0 (word2vec's).
 * @example
 * const w2v = new Word2Vec({ vocabSize: 6, embeddingDim: 8, window: 1, rng: new Generator(0) });
 * const { losses } = w2v.train([[0, 1, 0, 1, 0, 1], [2, 3, 2, 3, 2, 3]], { epochs: 50 });
 * losses[49] < losses[0]; // true
 * w2v.mostSimilar(0, 2).length; // 2
 * w2v.forward(tensor([0, 5])).shape; // [2, 8]
 * @throws ArgumentError on a malformed option, or in train on a token outside [0, vocabSize).
 * @see Mikolov et al., "Distributed Representations of Words and Phrases and their Compositionality" (2013), https://arxiv.org/abs/1310.4546
 * @category Models
 */
export class Word2Vec extends Module {
  /** Word (input) vectors v [V, D]. */
  readonly embeddings: Parameter;
  /** Context (output) vectors u [V, D]. */
  readonly contextEmbeddings: Parameter;
  private readonly opts: Required<Omit<Word2VecOptions, 'rng'>>;
  private readonly rng: Generator;

  constructor(options: Word2VecOptions) {
    super();
    const op = 'Word2Vec';
    const o = parseOptions(op, options, { vocabSize: posInt, embeddingDim: posInt, window: posInt, negative: posInt, rng: rngCheck });
    const V = checkArg(op, 'vocabSize', o.vocabSize, posInt);
    const D = o.embeddingDim ?? 50;
    const window = o.window ?? 5;
    const negative = o.negative ?? 5;
    this.rng = o.rng ?? defaultGenerator();
    this.embeddings = Parameter.uniform([V, D], -0.5 / D, 0.5 / D, this.rng);
    this.contextEmbeddings = Parameter.full([V, D], 0);
    this.opts = { vocabSize: V, embeddingDim: D, window, negative };
  }

  /** The word vectors of `ids`. */
  forward(ids: Tensor | Int32Array | number[]): Tensor {
    return embedding(ids, this.embeddings);
  }

  /**
   * Trains on `sentences` (arrays of token ids) by plain SGD, one (center, context) pair at a time,
   * with the noise distribution counted from these sentences. Returns the mean loss per epoch.
   */
  override train(sentences: number[][], options?: Word2VecTrainOptions): Word2VecTrainResult;
  /** Module's train(mode): sets training mode (word2vec has no layer that uses it). */
  override train(mode?: boolean): this;
  override train(arg?: number[][] | boolean, options: Word2VecTrainOptions = {}): Word2VecTrainResult | this {
    if (arg === undefined || typeof arg === 'boolean') return super.train(arg ?? true);
    return this.fitSentences(arg, options);
  }

  /**
   * The k words whose vectors have the highest cosine similarity to `word`'s, as
   * `[id, similarity]` pairs, most similar first, `word` itself excluded.
   */
  mostSimilar(word: number, k = 10): [number, number][] {
    const { vocabSize: V, embeddingDim: D } = this.opts;
    const op = 'Word2Vec.mostSimilar';
    checkArg(op, 'word', word, int({ min: 0, max: V - 1 }));
    checkArg(op, 'k', k, posInt);
    const w = this.embeddings.data;
    const norms = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += w[v * D + d] * w[v * D + d];
      norms[v] = Math.sqrt(s);
    }
    const sims: [number, number][] = [];
    const q = word * D;
    for (let v = 0; v < V; v++) {
      if (v === word) continue;
      let s = 0;
      for (let d = 0; d < D; d++) s += w[q + d] * w[v * D + d];
      const den = norms[word] * norms[v];
      sims.push([v, den === 0 ? 0 : s / den]);
    }
    sims.sort((a, b) => b[1] - a[1]);
    return sims.slice(0, k);
  }

  /** Cosine similarity of two words' vectors. */
  similarity(a: number, b: number): number {
    const { vocabSize: V, embeddingDim: D } = this.opts;
    for (const [n, v] of [['a', a], ['b', b]] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= V) throw new ArgumentError(`Word2Vec.similarity: ${n} must be a token id in [0, ${V - 1}], got ${describe(v)}`);
    }
    const w = this.embeddings.data;
    let ab = 0, aa = 0, bb = 0;
    for (let d = 0; d < D; d++) {
      ab += w[a * D + d] * w[b * D + d];
      aa += w[a * D + d] * w[a * D + d];
      bb += w[b * D + d] * w[b * D + d];
    }
    return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
  }

  /** `{ type: 'Word2Vec', options }` (rng excepted). */
  override config(): ModuleConfig {
    return { type: 'Word2Vec', options: { ...this.opts } };
  }

  private fitSentences(sentences: number[][], options: Word2VecTrainOptions): Word2VecTrainResult {
    const op = 'Word2Vec.train';
    const o = parseOptions(op, options, { epochs: posInt, lr: positive, subsample: nonNeg });
    const epochs = o.epochs ?? 5;
    const lr0 = o.lr ?? 0.025;
    const sample = o.subsample ?? 0;
    if (!Array.isArray(sentences)) throw new ArgumentError(`${op}: sentences must be an array of token-id arrays, got ${describe(sentences)}`);
    const { vocabSize: V, embeddingDim: D, window, negative } = this.opts;

    const counts = new Float64Array(V);
    let total = 0;
    const sents: Int32Array[] = sentences.map((s, i) => {
      if (!Array.isArray(s) && !((s as unknown) instanceof Int32Array)) throw new ArgumentError(`${op}: sentences[${i}] must be an array of token ids, got ${describe(s)}`);
      const a = Int32Array.from(s);
      for (let j = 0; j < a.length; j++) {
        if (a[j] !== s[j] || a[j] < 0 || a[j] >= V) throw new ArgumentError(`${op}: sentences[${i}][${j}] = ${describe(s[j])} is not a token id in [0, ${V - 1}]`);
        counts[a[j]]++;
      }
      total += a.length;
      return a;
    });
    if (total === 0) throw new ArgumentError(`${op}: the sentences hold no tokens`);

    // Noise distribution P(w) ∝ count(w)^0.75, sampled by binary search over its cumulative sums.
    const cdf = new Float64Array(V);
    let acc = 0;
    for (let v = 0; v < V; v++) cdf[v] = acc += counts[v] ** 0.75;
    for (let v = 0; v < V; v++) cdf[v] /= acc;
    const keep = new Float64Array(V).fill(1);
    if (sample > 0) {
      for (let v = 0; v < V; v++) {
        const r = sample / (counts[v] / total);
        keep[v] = Math.min(1, Math.sqrt(r) + r);
      }
    }

    const rng = this.rng;
    const vIn = this.embeddings.data, uOut = this.contextEmbeddings.data;
    const grad = new Float32Array(D);
    const buf = new Int32Array(sents.reduce((m, s) => Math.max(m, s.length), 0));
    const totalSteps = epochs * total;
    let processed = 0;
    let pairs = 0;
    const losses: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      let lossSum = 0, epochPairs = 0;
      for (const s of sents) {
        let n = 0;
        for (let i = 0; i < s.length; i++) if (keep[s[i]] >= 1 || rng.random() < keep[s[i]]) buf[n++] = s[i];
        for (let i = 0; i < n; i++, processed++) {
          const lr = lr0 * Math.max(1e-4, 1 - processed / totalSteps);
          const center = buf[i] * D;
          const b = rng.randint(1, window + 1);
          for (let j = Math.max(0, i - b); j <= Math.min(n - 1, i + b); j++) {
            if (j === i) continue;
            grad.fill(0);
            // One positive target (label 1) then `negative` noise words (label 0).
            for (let k = 0; k <= negative; k++) {
              let target: number;
              if (k === 0) target = buf[j];
              else {
                target = searchCdf(cdf, rng.random());
                if (target === buf[j]) continue;
              }
              const row = target * D;
              let dot = 0;
              for (let d = 0; d < D; d++) dot += vIn[center + d] * uOut[row + d];
              const sig = 1 / (1 + Math.exp(-dot));
              const label = k === 0 ? 1 : 0;
              lossSum -= Math.log(Math.max(label === 1 ? sig : 1 - sig, 1e-12));
              // d loss / d dot = σ(dot) − label; step both vectors against it.
              const g = lr * (label - sig);
              for (let d = 0; d < D; d++) {
                grad[d] += g * uOut[row + d];
                uOut[row + d] += g * vIn[center + d];
              }
            }
            for (let d = 0; d < D; d++) vIn[center + d] += grad[d];
            epochPairs++;
          }
        }
      }
      pairs += epochPairs;
      losses.push(epochPairs === 0 ? NaN : lossSum / epochPairs);
    }
    return { losses, pairs };
  }
}

/** The first index whose cumulative probability exceeds u. */
function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
