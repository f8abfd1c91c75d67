import {
  asFormat, checkState, savableFromJSON, type LoadStateOptions, type LoadStateResult, type SavableState,
} from '../../data/savable';
import { ArgumentError, FormatError, ShapeError } from '../../tensor/errors';
import { arrayOf, checkArg, finite, instanceOf, oneOf, parseOptions } from '../../tensor/options';
import { describe } from '../../tensor/shape';
import { BPR } from './bpr';
import {
  Recommender, TRAIN_KEYS, buildState, checkInteractions, notFitted, trainStateDict, trainStateFrom, trainStateOf,
  type Interactions, type RecommenderConfig, type RecommenderJSON, type TrainState,
} from './common';
import { ContentBased } from './content';
import { ItemKNN } from './itemknn';
import { MatrixFactorization } from './mf';

/** One member of a {@link HybridRecommender}. */
export interface HybridComponent {
  /** A recommender (fitted, or fitted by the hybrid's `fit`). */
  model: Recommender;
  /** Its weight wₘ in the blend (finite; may be 0 or negative). Default 1. */
  weight?: number;
}

/** Options of {@link HybridRecommender}. */
export interface HybridOptions {
  /** Per-user normalization of each component's scores before blending. Default `'minmax'`. */
  normalize?: 'minmax' | 'zscore' | 'none';
}

/**
 * The single-argument form of the {@link HybridRecommender} constructor, as `config().options` plus
 * the rebuilt components (the container convention): `new HybridRecommender({ ...h.config().options, children })`.
 */
export interface HybridConfigOptions extends HybridOptions {
  /** The weight of each component, in order. */
  weights: number[];
  /** The components, in order (rebuilt from `config().children`). */
  children: Recommender[];
}

/**
 * The JSON form of a {@link HybridRecommender}: `config()` (options `normalize` and `weights`, the
 * components' configs as `children`) and the state dict (the components' states under
 * `components.{m}.`, and the hybrid's own `train.*` once it was fitted).
 */
export type HybridRecommenderJSON = RecommenderJSON;

/**
 * Weighted blend of recommenders: ŝᵤᵢ = Σₘ wₘ·normᵤ(sₘ)ᵢ, where sₘ = `model.scoreItems(u)` is
 * component m's score row for user u over all items and normᵤ rescales that row:
 * `'minmax'` (s − min)/(max − min) into [0, 1], `'zscore'` (s − mean)/std with the population std,
 * `'none'` leaves it. A constant row normalizes to 0 under both rescalings. Normalization makes
 * scales comparable (MF predicts stars, ItemKNN sums similarities, ContentBased gives cosines).
 *
 * `fit(interactions)` fits every component on the same interactions; alternatively pass
 * components that are already fitted (on the same users and items) and use the hybrid directly,
 * in which case its training interactions (seen items, popularity) are those of the first
 * component. All components must agree on nUsers and nItems (declare them in the interactions
 * when a ContentBased component fixes nItems).
 *
 * Cold start: each component scores an unseen user its own way (see each class) and the blend
 * follows; `recommend` of a user without training interactions returns the most popular items.
 * @example
 * const feats = tensor([[1, 0], [0, 1], [1, 1]]);
 * const data = { users: [0, 1, 1], items: [0, 1, 2], nItems: 3 };
 * const h = new HybridRecommender([
 *   { model: new ItemKNN(), weight: 1 },
 *   { model: new ContentBased({ itemFeatures: feats }), weight: 2 },
 * ], { normalize: 'minmax' });
 * h.fit(data);
 * // user 0 took item 0, which shares no user with another item: ItemKNN scores [0, 0, 0] → 0;
 * // ContentBased scores the cosines [1, 0, 0.7071] → min-max [1, 0, 0.7071], weighted by 2:
 * Array.from(h.scoreItems(0)); // [2, 0, 1.4142135381698608]
 * Array.from(h.recommend(0, 2).items); // [2, 1]
 * @throws ArgumentError on an empty component list, a non-Recommender or a non-finite weight;
 *   ShapeError if the components disagree on nUsers or nItems.
 * @category Recommenders
 */
export class HybridRecommender extends Recommender {
  /** The components and their weights. */
  readonly components: readonly {
    /** The recommender. */
    model: Recommender;
    /** Its weight wₘ in the blend. */
    weight: number;
  }[];
  /** Per-user normalization of each component's scores before blending. */
  readonly normalize: 'minmax' | 'zscore' | 'none';

  /**
   * @param components The members and their weights, or (single-argument form) `config().options`
   *   with the rebuilt `children` (see {@link HybridConfigOptions}).
   * @param options Normalization (two-argument form).
   */
  constructor(components: readonly HybridComponent[] | HybridConfigOptions, options: HybridOptions = {}) {
    super();
    const op = 'HybridRecommender';
    if (components !== null && typeof components === 'object' && !Array.isArray(components)) {
      const c = parseOptions(op, components, {
        normalize: oneOf(['minmax', 'zscore', 'none'] as const), weights: arrayOf(finite, { min: 1 }), children: arrayOf(instanceOf(Recommender), { min: 1 }),
      });
      const kids = checkArg(op, 'children', c.children, arrayOf(instanceOf(Recommender), { min: 1 }));
      const ws = c.weights ?? kids.map(() => 1);
      if (ws.length !== kids.length) throw new ArgumentError(`${op}: weights has ${ws.length} entries but there are ${kids.length} children`);
      components = kids.map((model, m) => ({ model, weight: ws[m] }));
      options = { normalize: c.normalize };
    }
    if (!Array.isArray(components) || components.length === 0) {
      throw new ArgumentError(`${op}: components must be a non-empty array of { model, weight }, got ${describe(components)}`);
    }
    this.components = components.map((c, m) => {
      if (c === null || typeof c !== 'object' || !(c.model instanceof Recommender)) {
        throw new ArgumentError(`${op}: components[${m}].model must be a Recommender, got ${describe(c?.model)}`);
      }
      return { model: c.model, weight: checkArg(op, `components[${m}].weight`, c.weight ?? 1, finite) };
    });
    const o = parseOptions(op, options, { normalize: oneOf(['minmax', 'zscore', 'none'] as const) });
    this.normalize = o.normalize ?? 'minmax';
  }

  /** Fits every component on the interactions, then records them for excludeSeen and popularity. */
  fit(interactions: Interactions): this {
    this.state = null;
    for (const c of this.components) c.model.fit(interactions);
    const first = this.componentState('fit');
    const d = checkInteractions('HybridRecommender.fit', { ...interactions, nUsers: first.nUsers, nItems: first.nItems });
    this.state = buildState(d);
    return this;
  }

  protected override trainState(method: string): TrainState {
    return this.state ?? this.componentState(method);
  }

  /** The first component's training state, after checking that all are fitted and agree on sizes. */
  private componentState(method: string): TrainState {
    const states = this.components.map((c) => (c.model.fitted ? trainStateOf(c.model, method) : null));
    if (states.some((s) => s === null)) throw notFitted('HybridRecommender', method);
    const s0 = states[0]!;
    for (let m = 1; m < states.length; m++) {
      const s = states[m]!;
      if (s.nUsers !== s0.nUsers || s.nItems !== s0.nItems) {
        throw new ShapeError(`HybridRecommender.${method}: components[${m}] has ${s.nUsers} users × ${s.nItems} items but components[0] has ${s0.nUsers} × ${s0.nItems}`);
      }
    }
    return s0;
  }

  protected scoreUserInto(out: Float32Array, u: number): void {
    const I = out.length;
    const acc = new Float64Array(I);
    for (const { model, weight } of this.components) {
      const s = model.scoreItems(u);
      let shift = 0, scale = 1;
      if (this.normalize === 'minmax') {
        let lo = Infinity, hi = -Infinity;
        for (let i = 0; i < I; i++) {
          if (s[i] < lo) lo = s[i];
          if (s[i] > hi) hi = s[i];
        }
        shift = lo;
        scale = hi > lo ? 1 / (hi - lo) : 0;
      } else if (this.normalize === 'zscore') {
        let mean = 0;
        for (let i = 0; i < I; i++) mean += s[i];
        mean /= I;
        let ss = 0;
        for (let i = 0; i < I; i++) ss += (s[i] - mean) * (s[i] - mean);
        const sd = Math.sqrt(ss / I);
        shift = mean;
        scale = sd > 0 ? 1 / sd : 0;
      }
      const ws = weight * scale;
      for (let i = 0; i < I; i++) acc[i] += ws * (s[i] - shift);
    }
    for (let i = 0; i < I; i++) out[i] = acc[i];
  }

  /** `{ type: 'HybridRecommender', options: { normalize, weights }, children }` with each component's config. */
  config(): RecommenderConfig {
    return {
      type: 'HybridRecommender',
      options: { normalize: this.normalize, weights: this.components.map((c) => c.weight) },
      children: this.components.map((c) => c.model.config()),
    };
  }

  /** Each component's state dict under `components.{m}.`, and the hybrid's own `train.*` once it was fitted. */
  override stateDict(): SavableState {
    const sd: SavableState = this.state === null ? {} : trainStateDict(this.state);
    this.components.forEach((c, m) => {
      for (const [k, v] of Object.entries(c.model.stateDict())) sd[`components.${m}.${k}`] = v;
    });
    return sd;
  }

  /**
   * Loads each component's part (`components.{m}.`) into it, and the hybrid's own training
   * interactions when present.
   * @throws as each component's `loadStateDict`; TensorkitError `INVALID_ARGUMENT` on other keys with `strict`.
   */
  override loadStateDict(sd: SavableState, options: LoadStateOptions = {}): LoadStateResult {
    const op = 'HybridRecommender.loadStateDict';
    const own: SavableState = {};
    const parts: SavableState[] = this.components.map(() => ({}));
    for (const [k, v] of Object.entries(sd ?? {})) {
      const m = /^components\.(\d+)\.(.+)$/.exec(k);
      if (m !== null && Number(m[1]) < parts.length) parts[Number(m[1])][m[2]] = v;
      else own[k] = v;
    }
    const r = checkState(op, own, [], TRAIN_KEYS, options);
    const unexpected = [...r.unexpectedKeys];
    parts.forEach((p, m) => {
      const rm = this.components[m].model.loadStateDict(p, options);
      unexpected.push(...rm.unexpectedKeys.map((k) => `components.${m}.${k}`));
    });
    this.state = r.empty ? null : trainStateFrom(op, own);
    return { missingKeys: [], unexpectedKeys: unexpected };
  }

  protected modelState(): SavableState {
    return {};
  }

  protected modelKeys(): string[] {
    return [];
  }

  protected loadModel(): void {}

  /**
   * Rebuilds a hybrid and its components from {@link HybridRecommender.toJSON} output.
   * @throws FormatError on a malformed object or an unknown component type.
   */
  static fromJSON(json: unknown): HybridRecommender {
    const op = 'HybridRecommender.fromJSON';
    const { options, state } = savableFromJSON(json, 'HybridRecommender');
    const children = (json as { children?: unknown }).children;
    return asFormat(op, () => {
      const h = recommenderFromConfig({ type: 'HybridRecommender', options, children }, op) as HybridRecommender;
      h.loadStateDict(state);
      return h;
    });
  }
}

/** The recommender classes by config `type`. */
const RECOMMENDERS: Record<string, new (options: never) => Recommender> = { MatrixFactorization, BPR, ItemKNN, ContentBased };

/** A fresh recommender from a config (a hybrid's children rebuilt first). */
function recommenderFromConfig(c: unknown, op: string): Recommender {
  if (c === null || typeof c !== 'object') throw new FormatError(`${op}: a component config must be { type, options }, got ${describe(c)}`);
  const { type, options, children } = c as { type?: unknown; options?: unknown; children?: unknown };
  if (type === 'HybridRecommender') {
    if (!Array.isArray(children)) throw new FormatError(`${op}: a HybridRecommender config needs children, got ${describe(children)}`);
    return new HybridRecommender({ ...(options as HybridOptions & { weights: number[] }), children: children.map((k) => recommenderFromConfig(k, op)) });
  }
  const Cls = typeof type === 'string' && Object.hasOwn(RECOMMENDERS, type) ? RECOMMENDERS[type] : undefined;
  if (Cls === undefined) throw new FormatError(`${op}: unknown recommender type ${describe(type)}; expected MatrixFactorization, BPR, ItemKNN, ContentBased or HybridRecommender`);
  return new Cls(options as never);
}

/**
 * Rebuilds any tensorkit recommender from its `toJSON()` output, dispatching on the `type` tag.
 * @example
 * const knn = new ItemKNN().fit({ users: [0, 1], items: [0, 1] });
 * recommenderFromJSON(JSON.parse(JSON.stringify(knn))) instanceof ItemKNN; // true
 * @throws FormatError on an unknown type or a malformed object.
 * @category Recommenders
 */
export function recommenderFromJSON(json: unknown): Recommender {
  const type = json !== null && typeof json === 'object' ? (json as Record<string, unknown>).type : undefined;
  switch (type) {
    case 'MatrixFactorization': return MatrixFactorization.fromJSON(json);
    case 'BPR': return BPR.fromJSON(json);
    case 'ItemKNN': return ItemKNN.fromJSON(json);
    case 'ContentBased': return ContentBased.fromJSON(json);
    case 'HybridRecommender': return HybridRecommender.fromJSON(json);
    default: throw new FormatError(`recommenderFromJSON: unknown recommender type ${describe(type)}; expected MatrixFactorization, BPR, ItemKNN, ContentBased or HybridRecommender`);
  }
}
