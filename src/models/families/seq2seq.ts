import {
  ArgumentError, Generator, ShapeError, Tensor, concat, defaultGenerator, indexSelect, logSoftmax, matmul, noGrad, reshape,
  softmax, tanh, transpose,
} from '../../tensor/index';
import { fmtShape } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { Embedding, GRU, LSTM, Linear, Module, type LSTMOutput, type ModuleConfig, type RecurrentOutput } from '../../nn/index';
import { checkArg, int, nonNeg, nullable, oneOf, parseOptions, posInt, rng as rngCheck } from '../../tensor/options';
import { idsBatch } from './util';

const SPEC = {
  srcVocab: posInt, tgtVocab: posInt, embeddingDim: posInt, hiddenSize: posInt, cell: oneOf(['gru', 'lstm'] as const),
  attention: oneOf(['dot', 'general', 'none'] as const), bosToken: int({ min: 0 }), eosToken: nullable(int({ min: 0 })), rng: rngCheck,
};

/** Luong's attention scores: 'dot' h_tᵀh̄_s, 'general' h_tᵀW_a h̄_s, or 'none' (no attention). */
export type Seq2SeqAttention = 'dot' | 'general' | 'none';

/** Options of {@link Seq2Seq}. */
export interface Seq2SeqOptions {
  /** Source vocabulary size. Required. */
  srcVocab: number;
  /** Target vocabulary size, special tokens included. Required. */
  tgtVocab: number;
  /** Width of both embeddings (default 32). */
  embeddingDim?: number;
  /** Hidden units of the encoder and decoder (default 64). */
  hiddenSize?: number;
  /** Recurrent cell of both (default 'gru'). */
  cell?: 'gru' | 'lstm';
  /** Attention score (default 'general'). */
  attention?: Seq2SeqAttention;
  /** Target id that starts every decoder input. Required. */
  bosToken: number;
  /** Target id that ends a sequence; decoding stops there (default null: decode exactly maxLen tokens). */
  eosToken?: number | null;
  /** Generator of the initial weights (default: the global one). Not saved in config(). */
  rng?: Generator;
}

/** Options of {@link Seq2Seq.greedyDecode}. */
export interface GreedyDecodeOptions {
  /** Most tokens to produce per sequence (default: the source length S without an eosToken, else 2·S + 10). */
  maxLen?: number;
}

/** Options of {@link Seq2Seq.beamSearch}. */
export interface BeamSearchOptions extends GreedyDecodeOptions {
  /** Hypotheses kept per step (default 4; 1 is greedy decoding). */
  beamWidth?: number;
  /**
   * α of GNMT's length normalization: hypotheses are ranked by log P(y) / ((5 + |y|) / 6)^α
   * (default 0: raw log-probability, which favours short outputs when lengths differ).
   */
  lengthPenalty?: number;
}

interface State {
  h: Tensor;
  c: Tensor | null;
}

interface Encoded {
  /** Encoder outputs [B, S, H]. */
  out: Tensor;
  /** What the decoder states are scored against: out for 'dot', out·W_aᵀ for 'general' [B, S, H]. */
  keys: Tensor | null;
  state: State;
}

/**
 * Encoder–decoder with Luong global attention (Luong, Pham & Manning 2015). The encoder (GRU or
 * LSTM over the embedded source) hands its final state to the decoder; at target step t the
 * decoder state h_t scores every encoder output h̄_s, score = h_tᵀh̄_s ('dot') or h_tᵀW_a h̄_s
 * ('general'), a = softmax_s(score), c_t = Σ_s a_s h̄_s, h̃_t = tanh(W_c[c_t; h_t]) and
 * logits_t = W_s h̃_t ('none': logits_t = W_s h_t). Luong's input feeding is left out, so a
 * teacher-forced pass runs the decoder over all T steps as one fused recurrent op.
 *
 * Training is teacher-forced: `forward(src, tgtIn)` with tgtIn = [bos, y₀ … y_{T−2}] gives the
 * logits for [y₀ … y_{T−1}] (loss: `sequenceCrossEntropy`). Inference: {@link Seq2Seq.greedyDecode}
 * and {@link Seq2Seq.beamSearch}. Every source sequence of a batch has one length (no padding mask).
 * Shapes: src ids (B, S), tgtIn ids (B, T) → logits (B, T, tgtVocab).
 * Init: embeddings N(0, 1), recurrent weights U(−1/√H, 1/√H), linears as `Linear` (W_a without bias).
 * @example
 * const m = new Seq2Seq({ srcVocab: 5, tgtVocab: 7, hiddenSize: 8, embeddingDim: 4, bosToken: 5, eosToken: 6, rng: new Generator(0) });
 * m.forward(tensor([[1, 2, 3]]), tensor([[5, 3, 2, 1]])).shape; // [1, 4, 7]
 * m.greedyDecode(tensor([[1, 2, 3]]), { maxLen: 4 }).length; // 1
 * @throws ArgumentError on a malformed option or a special token outside tgtVocab; ShapeError from forward.
 * @see Luong, Pham & Manning, "Effective Approaches to Attention-based Neural Machine Translation" (2015), https://arxiv.org/abs/1508.04025
 * @see Sutskever, Vinyals & Le, "Sequence to Sequence Learning with Neural Networks" (2014), https://arxiv.org/abs/1409.3215
 * @category Models
 */
export class Seq2Seq extends Module {
  /** Source token embedding [srcVocab, embeddingDim]. */
  readonly srcEmbedding: Embedding;
  /** Encoder over the embedded source (GRU or LSTM, hidden size H). */
  readonly encoder: GRU | LSTM;
  /** Target token embedding [tgtVocab, embeddingDim]. */
  readonly tgtEmbedding: Embedding;
  /** Decoder over the embedded target, started from the encoder's final state. */
  readonly decoder: GRU | LSTM;
  /** W_a of the 'general' score (no bias), else null. */
  readonly attnProj: Linear | null;
  /** W_c, mapping [c_t; h_t] (2H) to h̃_t (H); null without attention. */
  readonly combine: Linear | null;
  /** W_s, mapping h̃_t to the target logits. */
  readonly out: Linear;
  private readonly opts: Required<Omit<Seq2SeqOptions, 'rng'>>;

  constructor(options: Seq2SeqOptions) {
    super();
    const op = 'Seq2Seq';
    const o = parseOptions(op, options, SPEC);
    const srcVocab = checkArg(op, 'srcVocab', o.srcVocab, posInt);
    const tgtVocab = checkArg(op, 'tgtVocab', o.tgtVocab, posInt);
    const E = o.embeddingDim ?? 32;
    const H = o.hiddenSize ?? 64;
    const cell = o.cell ?? 'gru';
    const attention = o.attention ?? 'general';
    const tokenId = int({ min: 0, max: tgtVocab - 1 });
    const bosToken = checkArg(op, 'bosToken', o.bosToken, tokenId);
    const eosRaw = o.eosToken ?? null;
    const eosToken = eosRaw === null ? null : checkArg(op, 'eosToken', eosRaw, tokenId);
    if (eosToken === bosToken) throw new ArgumentError(`${op}: bosToken and eosToken must differ, both are ${bosToken}`);
    const rng = o.rng ?? defaultGenerator();
    const Cell = cell === 'lstm' ? LSTM : GRU;
    this.srcEmbedding = new Embedding(srcVocab, E, { rng });
    this.encoder = new Cell(E, H, { rng });
    this.tgtEmbedding = new Embedding(tgtVocab, E, { rng });
    this.decoder = new Cell(E, H, { rng });
    this.attnProj = attention === 'general' ? new Linear(H, H, { bias: false, rng }) : null;
    this.combine = attention === 'none' ? null : new Linear(2 * H, H, { rng });
    this.out = new Linear(H, tgtVocab, { rng });
    this.opts = { srcVocab, tgtVocab, embeddingDim: E, hiddenSize: H, cell, attention, bosToken, eosToken };
  }

  /** Teacher-forced logits (B, T, tgtVocab) for the decoder inputs tgtIn (B, T) given src (B, S). */
  forward(src: Tensor, tgtIn: Tensor): Tensor {
    const s = this.checkIds('src', src);
    const t = this.checkIds('tgtIn', tgtIn);
    if (s.shape[0] !== t.shape[0]) throw new ShapeError(`Seq2Seq: src ${fmtShape(s.shape)} and tgtIn ${fmtShape(t.shape)} have different batch sizes`);
    const enc = this.encode(s);
    return this.decodeSteps(t, enc).logits;
  }

  /**
   * Greedy decoding: from bos, feed back the most probable token until eosToken or maxLen tokens.
   * Runs without gradients. Returns one id list per source row, without bos and eos.
   */
  greedyDecode(src: Tensor | number[] | Int32Array | number[][], options: GreedyDecodeOptions = {}): number[][] {
    const op = 'Seq2Seq.greedyDecode';
    const s = this.checkIds('src', idsBatch(op, src));
    const o = parseOptions(op, options, { maxLen: posInt });
    const maxLen = o.maxLen ?? this.defaultMaxLen(s.shape[1]);
    const { bosToken, eosToken } = this.opts;
    return this.inference(() => {
      const B = s.shape[0];
      let enc = this.encode(s);
      const outs: number[][] = Array.from({ length: B }, () => []);
      const done = new Uint8Array(B);
      let prev = new Float32Array(B).fill(bosToken);
      for (let step = 0; step < maxLen; step++) {
        const { logits, state } = this.decodeSteps(new Tensor(prev, [B, 1]), enc);
        enc = { ...enc, state };
        const V = logits.shape[2], d = logits.data;
        const next = new Float32Array(B);
        let active = 0;
        for (let b = 0; b < B; b++) {
          let best = 0;
          for (let v = 1; v < V; v++) if (d[b * V + v] > d[b * V + best]) best = v;
          next[b] = best;
          if (done[b]) continue;
          if (best === eosToken) done[b] = 1;
          else {
            outs[b].push(best);
            active++;
          }
        }
        if (active === 0) break;
        prev = next;
      }
      return outs;
    });
  }

  /**
   * Beam search: keeps the `beamWidth` most probable partial outputs per source row, extends each
   * by every token, and returns for each row the finished hypothesis (ended by eosToken, or cut at
   * maxLen) with the best length-normalized log-probability. Runs without gradients. Returns one id
   * list per source row, without bos and eos.
   */
  beamSearch(src: Tensor | number[] | Int32Array | number[][], options: BeamSearchOptions = {}): number[][] {
    const op = 'Seq2Seq.beamSearch';
    const s = this.checkIds('src', idsBatch(op, src));
    const o = parseOptions(op, options, { maxLen: posInt, beamWidth: posInt, lengthPenalty: nonNeg });
    const maxLen = o.maxLen ?? this.defaultMaxLen(s.shape[1]);
    const K = o.beamWidth ?? 4;
    const alpha = o.lengthPenalty ?? 0;
    const { bosToken, eosToken } = this.opts;
    const norm = (logp: number, len: number): number => (alpha === 0 ? logp : logp / ((5 + len) / 6) ** alpha);
    return this.inference(() => {
      const B = s.shape[0];
      const all = this.encode(s);
      const results: number[][] = [];
      for (let b = 0; b < B; b++) {
        const row = [b];
        let enc: Encoded = {
          out: indexSelect(all.out, 0, row),
          keys: all.keys === null ? null : indexSelect(all.keys, 0, row),
          state: { h: indexSelect(all.state.h, 1, row), c: all.state.c === null ? null : indexSelect(all.state.c, 1, row) },
        };
        let beams: { tokens: number[]; logp: number }[] = [{ tokens: [], logp: 0 }];
        const finished: { tokens: number[]; score: number }[] = [];
        for (let step = 0; step < maxLen && beams.length > 0; step++) {
          const N = beams.length;
          const prev = new Float32Array(N);
          for (let i = 0; i < N; i++) prev[i] = beams[i].tokens.length === 0 ? bosToken : beams[i].tokens[beams[i].tokens.length - 1];
          const { logits, state } = this.decodeSteps(new Tensor(prev, [N, 1]), enc);
          const V = logits.shape[2];
          const lp = logSoftmax(reshape(logits, [N, V]), -1).data;
          // The best 2K extensions suffice: at most K of them can end in eos.
          const cand: [number, number][] = [];
          for (let i = 0; i < N; i++) for (let v = 0; v < V; v++) cand.push([beams[i].logp + lp[i * V + v], i * V + v]);
          cand.sort((a, c) => c[0] - a[0]);
          const next: { tokens: number[]; logp: number }[] = [];
          const parents: number[] = [];
          for (let j = 0; j < cand.length && next.length < K; j++) {
            const [logp, k] = cand[j];
            const i = Math.floor(k / V), v = k - i * V;
            if (v === eosToken) {
              if (j < K) finished.push({ tokens: beams[i].tokens, score: norm(logp, beams[i].tokens.length + 1) });
              continue;
            }
            next.push({ tokens: [...beams[i].tokens, v], logp });
            parents.push(i);
          }
          if (finished.length >= K) break;
          beams = next;
          if (step === maxLen - 1) for (const h of beams) finished.push({ tokens: h.tokens, score: norm(h.logp, h.tokens.length) });
          enc = {
            out: indexSelect(enc.out, 0, parents.map(() => 0)),
            keys: enc.keys === null ? null : indexSelect(enc.keys, 0, parents.map(() => 0)),
            state: { h: indexSelect(state.h, 1, parents), c: state.c === null ? null : indexSelect(state.c, 1, parents) },
          };
        }
        let best = finished[0];
        for (const f of finished) if (f.score > best.score) best = f;
        results.push(best === undefined ? [] : best.tokens);
      }
      return results;
    });
  }

  /** `{ type: 'Seq2Seq', options }` with every option resolved (rng excepted). */
  override config(): ModuleConfig {
    return { type: 'Seq2Seq', options: { ...this.opts } };
  }

  private defaultMaxLen(S: number): number {
    return this.opts.eosToken === null ? S : 2 * S + 10;
  }

  private checkIds(arg: string, x: unknown): Tensor {
    if (!(x instanceof Tensor)) throw new ArgumentError(`Seq2Seq: ${arg} must be a Tensor of token ids, got ${describe(x)}`);
    if (x.ndim !== 2 || x.shape[1] === 0) throw new ShapeError(`Seq2Seq: ${arg} ${fmtShape(x.shape)} must be token ids [B, T] with T ≥ 1`);
    return x;
  }

  /** Runs fn without gradients in eval mode, restoring the mode. */
  private inference<T>(fn: () => T): T {
    const was = this.training;
    this.eval();
    try {
      return noGrad(fn);
    } finally {
      this.train(was);
    }
  }

  private encode(src: Tensor): Encoded {
    const x = this.srcEmbedding.forward(src);
    const r = (this.encoder.forward as (t: Tensor) => RecurrentOutput | LSTMOutput)(x);
    const c = 'cN' in r ? r.cN : null;
    const keys = this.opts.attention === 'none' ? null : this.attnProj === null ? r.output : this.attnProj.forward(r.output);
    return { out: r.output, keys, state: { h: r.hN, c } };
  }

  /** Decoder over the inputs tgt (B, T) from enc.state: logits (B, T, V) and the final state. */
  private decodeSteps(tgt: Tensor, enc: Encoded): { logits: Tensor; state: State } {
    const x = this.tgtEmbedding.forward(tgt);
    let output: Tensor, state: State;
    if (this.decoder instanceof LSTM) {
      const r = this.decoder.forward(x, { h0: enc.state.h, c0: enc.state.c });
      output = r.output;
      state = { h: r.hN, c: r.cN };
    } else {
      const r = this.decoder.forward(x, enc.state.h);
      output = r.output;
      state = { h: r.hN, c: null };
    }
    let hTilde = output;
    if (enc.keys !== null && this.combine !== null) {
      const a = softmax(matmul(output, transpose(enc.keys, [0, 2, 1])), -1);
      const ctx = matmul(a, enc.out);
      hTilde = tanh(this.combine.forward(concat([ctx, output], 2)));
    }
    return { logits: this.out.forward(hTilde), state };
  }
}
