import { ArgumentError, FormatError, ShapeError } from '../../tensor/errors';
import { describe } from '../../tensor/shape';
import { BPR } from './bpr';
import {
  Recommender, buildState, checkChoice, checkInteractions, checkKeys, checkNum, jsonObject, notFitted, stateFromJSON,
  stateToJSON, trainStateOf, wrapFormat, type Interactions, type RecommenderJSON, type TrainState, type TrainStateJSON,
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

/** The JSON form of a {@link HybridRecommender}. */
export interface HybridRecommenderJSON extends RecommenderJSON {
  type: 'HybridRecommender';
  /** Per-user normalization of the component scores. */
  normalize: 'minmax' | 'zscore' | 'none';
  /** The components in order. */
  components: {
    /** Weight wₘ in the blend. */
    weight: number;
    /** The component's own JSON form. */
    model: RecommenderJSON;
  }[];
  /** The hybrid's own training interactions (null before its `fit`, e.g. over pre-fitted components). */
  state: TrainStateJSON | null;
}

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

  constructor(components: readonly HybridComponent[], options: HybridOptions = {}) {
    super();
    const op = 'HybridRecommender';
    if (!Array.isArray(components) || components.length === 0) {
      throw new ArgumentError(`${op}: components must be a non-empty array of { model, weight }, got ${describe(components)}`);
    }
    this.components = components.map((c, m) => {
      if (c === null || typeof c !== 'object' || !(c.model instanceof Recommender)) {
        throw new ArgumentError(`${op}: components[${m}].model must be a Recommender, got ${describe(c?.model)}`);
      }
      return { model: c.model, weight: checkNum(op, `components[${m}].weight`, c.weight ?? 1) };
    });
    const o = checkKeys(op, options, ['normalize']);
    this.normalize = checkChoice(op, 'normalize', o.normalize ?? 'minmax', ['minmax', 'zscore', 'none'] as const);
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

  toJSON(): HybridRecommenderJSON {
    return {
      type: 'HybridRecommender', normalize: this.normalize,
      components: this.components.map((c) => ({ weight: c.weight, model: c.model.toJSON() })),
      state: stateToJSON(this.state),
    };
  }

  /**
   * Rebuilds a hybrid and its components from {@link toJSON} output.
   * @throws FormatError on a malformed object or an unknown component type.
   */
  static fromJSON(json: unknown): HybridRecommender {
    const op = 'HybridRecommender.fromJSON';
    const o = jsonObject(json, 'HybridRecommender');
    if (!Array.isArray(o.components)) throw new FormatError(`${op}: field 'components' must be an array`);
    const comps = o.components.map((c: unknown, m: number) => {
      if (c === null || typeof c !== 'object') throw new FormatError(`${op}: components[${m}] must be an object`);
      const cc = c as Record<string, unknown>;
      return { model: recommenderFromJSON(cc.model), weight: cc.weight as number };
    });
    const h = wrapFormat(op, () => new HybridRecommender(comps, { normalize: o.normalize as HybridOptions['normalize'] }));
    h.state = stateFromJSON(o.state, op);
    return h;
  }
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
