import { describe, expect, it } from 'vitest';
import { Generator, Tensor, tensor, ArgumentError, FormatError, TensorkitError } from '../../src/tensor/index';
import {
  LabelEncoder, MinMaxScaler, OneHotEncoder, RobustScaler, SimpleImputer, StandardScaler, makeMoons, makeRatings, makeRegression,
} from '../../src/data/index';
import {
  BPR, ContentBased, HybridRecommender, ItemKNN, LinearRegression, LogisticRegression, MLP, MLPClassifier, MLPRegressor,
  MatrixFactorization, Recommender, familyFactories, modelClasses,
} from '../../src/models/index';

/*
 * The savable convention (one model file kind): every estimator, transformer and recommender has
 * config() → { type, options } that its constructor accepts back, and stateDict() / loadStateDict()
 * of its fitted arrays; `new C(config().options)` + `loadStateDict(stateDict())` must predict exactly
 * as the original (the oracle is the original object itself, compared bit for bit).
 */

interface Savable {
  config(): { type: string; options?: Record<string, unknown>; children?: { type: string; options?: Record<string, unknown> }[] };
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>, options?: { strict?: boolean }): unknown;
  toJSON(): unknown;
}

type Ctor = new (options: never) => object;

/** Rebuilds through modelClasses (children first for the hybrid), as loadModel will. */
function rebuild<T extends Savable>(m: T): T {
  const c = m.config();
  expect(JSON.parse(JSON.stringify(c))).toEqual(c); // the config is plain JSON
  const C = modelClasses[c.type] as unknown as Ctor;
  expect(C).toBe(m.constructor);
  const options = c.children === undefined
    ? c.options
    : { ...c.options, children: (m as unknown as HybridRecommender).components.map((k) => rebuild(k.model as unknown as Savable)) };
  const copy = new C(options as never) as unknown as T;
  copy.loadStateDict(m.stateDict());
  return copy;
}

const x = tensor([[0.5, -1], [2, 0.25], [-1.5, 3], [0, 0], [1, 1], [-2, -0.5]]);
const y = [0, 1, 1, 0, 1, 0];
const yReg = [1.5, -2, 0.25, 3, 0, -1];

describe('estimators round-trip through config() and stateDict()', () => {
  const cases: Array<[string, () => Savable & { predict(x: Tensor): Tensor }]> = [
    ['LinearRegression (normal)', () => new LinearRegression({ l2: 0.5 }).fit(x, yReg)],
    ['LinearRegression (ElasticNet spelling)', () => new LinearRegression({ alpha: 0.1, l1Ratio: 0.3 }).fit(x, yReg)],
    ['LinearRegression (minibatch)', () => new LinearRegression({ solver: 'minibatch', batchSize: 2, epochs: 5, rng: new Generator(1) }).fit(x, yReg)],
    ['LogisticRegression', () => new LogisticRegression({ C: 0.5 }).fit(x, y)],
    ['LogisticRegression (3 classes, ovr)', () => new LogisticRegression({ multiClass: 'ovr' }).fit(x, [0, 1, 2, 0, 1, 2])],
    ['MLPClassifier', () => new MLPClassifier({ hiddenLayerSizes: [5, 3], maxIter: 5, rng: new Generator(0) }).fit(x, [3, 7, 7, 3, 9, 3])],
    ['MLPRegressor', () => new MLPRegressor({ hiddenLayerSizes: [4], activation: 'tanh', maxIter: 5, rng: new Generator(0) }).fit(x, yReg)],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const m = make();
      const back = rebuild(m);
      expect(back.predict(x).data).toEqual(m.predict(x).data);
      expect((back as unknown as { params: unknown }).params).toEqual((m as unknown as { params: unknown }).params);
    });
  }

  it('state entries are tensors with dotted names; fitted scalars are 0-d', () => {
    const clf = new MLPClassifier({ hiddenLayerSizes: [3], maxIter: 2, rng: new Generator(0) }).fit(x, y);
    const sd = clf.stateDict();
    expect(Object.keys(sd)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'nIter', 'lossCurve', 'validationScores', 'classes']);
    expect(sd['layers.0.weight'].shape).toEqual([3, 2]);
    expect(sd.nIter.shape).toEqual([]);
    expect(Array.from(sd.classes.data as Float32Array)).toEqual([0, 1]);
    expect(clf.module).toBeInstanceOf(MLP);
  });

  it('an unfitted estimator has an empty state dict and stays unfitted; an empty state dict unfits', () => {
    const m = new LinearRegression({ l1: 0.1 });
    expect(m.stateDict()).toEqual({});
    const back = rebuild(m);
    expect(() => back.predict(x)).toThrow(TensorkitError);
    const fitted = new LinearRegression().fit(x, yReg);
    fitted.loadStateDict({});
    expect(() => fitted.predict(x)).toThrow(expect.objectContaining({ code: 'NOT_FITTED' }));
  });

  it('loadStateDict refuses missing keys always and unexpected keys unless strict is false', () => {
    const m = new LogisticRegression().fit(x, y);
    const sd = m.stateDict();
    const { coef: _coef, ...missing } = sd;
    expect(() => new LogisticRegression().loadStateDict(missing)).toThrow(/missing keys: coef/);
    const extra = { ...sd, bogus: tensor([1]) };
    expect(() => new LogisticRegression().loadStateDict(extra)).toThrow(/unexpected keys: bogus/);
    const r = new LogisticRegression().loadStateDict(extra, { strict: false });
    expect(r.unexpectedKeys).toEqual(['bogus']);
    expect(() => new LogisticRegression().loadStateDict(sd, { strict: 'no' } as never)).toThrow(ArgumentError);
    expect(() => new LogisticRegression().loadStateDict({ ...sd, intercept: tensor([1, 2, 3]) })).toThrow(/intercept has shape \[3\], expected \[1\]/);
  });

  it('toJSON is config + state dict, so a malformed state is a FormatError and ±Inf survive', () => {
    const m = new LinearRegression().fit(x, yReg);
    const j = JSON.parse(JSON.stringify(m.toJSON()));
    expect(j).toMatchObject({ type: 'LinearRegression', version: 2, options: m.config().options });
    expect(Object.keys(j.state)).toEqual(['coef', 'intercept', 'nIter', 'lossCurve']);
    expect(j.state.lossCurve.dtype).toBe('F64');
    j.state.coef.data[0] = 'Infinity';
    expect(LinearRegression.fromJSON(j).coef.data[0]).toBe(Infinity);
    j.state.coef.data[0] = null;
    expect(() => LinearRegression.fromJSON(j)).toThrow(FormatError);
  });
});

describe('transformers round-trip through config() and stateDict()', () => {
  const data = tensor([[1, 10, NaN], [3, -2, 4], [2, 7, 5], [8, 1, 1]]);
  const clean = tensor([[1, 10, 0], [3, -2, 4], [2, 7, 5], [8, 1, 1]]);
  const cases: Array<[string, () => Savable & { transform(x: Tensor): Tensor }, Tensor]> = [
    ['StandardScaler', () => new StandardScaler().fit(data), data],
    ['StandardScaler (no std)', () => new StandardScaler({ withStd: false }).fit(data), data],
    ['MinMaxScaler', () => new MinMaxScaler({ featureRange: [-1, 1], clip: true }).fit(data), data],
    ['RobustScaler', () => new RobustScaler({ quantileRange: [10, 90], withCentering: false }).fit(data), data],
    ['SimpleImputer', () => new SimpleImputer({ strategy: 'median' }).fit(data), data],
    ['OneHotEncoder (numeric)', () => new OneHotEncoder().fit(clean), clean],
  ];
  for (const [name, make, input] of cases) {
    it(name, () => {
      const t = make();
      const back = rebuild(t);
      expect(back.transform(input).data).toEqual(t.transform(input).data);
      expect(back.toJSON()).toEqual(t.toJSON());
    });
  }

  it('float64 statistics are kept exactly (typed F64 state entries)', () => {
    const s = new StandardScaler().fit([[0.1], [0.2], [0.7]]);
    const sd = s.stateDict();
    expect(sd.mean).toMatchObject({ dtype: 'F64', shape: [1] });
    expect((sd.mean as { data: Float64Array }).data[0]).toBe(s.mean![0]);
  });

  it('string categories and classes go in the config options; numeric ones in the state dict', () => {
    const enc = new OneHotEncoder({ handleUnknown: 'ignore' }).fit([['red', 1], ['green', NaN], ['red', 3]]);
    expect(enc.config().options).toEqual({ handleUnknown: 'ignore', categories: [['green', 'red'], null] });
    expect(Object.keys(enc.stateDict())).toEqual(['nFeatures', 'categories.1']);
    const back = rebuild(enc);
    expect(back.categories).toEqual(enc.categories);
    expect(back.transform([['green', NaN], ['blue', 3]]).data).toEqual(enc.transform([['green', NaN], ['blue', 3]]).data);
    for (const labels of [['b', 'a', 'b'], [5, -1, 5]]) {
      const le = new LabelEncoder().fit(labels as string[]);
      const copy = rebuild(le);
      expect(copy.classes).toEqual(le.classes);
      expect(copy.transform(labels as string[]).data).toEqual(le.transform(labels as string[]).data);
    }
  });
});

describe('recommenders round-trip through config() and stateDict()', () => {
  const r = makeRatings({ nUsers: 12, nItems: 9, rank: 2, density: 0.4, rng: new Generator(3) });
  const feats = tensor(Array.from({ length: 9 }, (_, i) => [i % 2, (i % 3) / 2, 1]));
  const all = (m: Recommender) => Array.from({ length: 12 }, (_, u) => Array.from(m.scoreItems(u)));
  const cases: Array<[string, () => Recommender]> = [
    ['MatrixFactorization (sgd)', () => new MatrixFactorization({ rank: 3, epochs: 3, rng: new Generator(0) }).fit(r)],
    ['MatrixFactorization (als)', () => new MatrixFactorization({ rank: 2, solver: 'als', epochs: 2, rng: new Generator(0) }).fit(r)],
    ['BPR', () => new BPR({ rank: 3, epochs: 2, rng: new Generator(0) }).fit({ users: r.users, items: r.items, nItems: 9 })],
    ['ItemKNN', () => new ItemKNN({ k: 3, shrink: 1 }).fit(r)],
    ['ContentBased', () => new ContentBased({ itemFeatures: feats }).fit({ ...r, nItems: 9 })],
    ['HybridRecommender', () => new HybridRecommender([
      { model: new ItemKNN({ k: 4 }), weight: 0.5 },
      { model: new ContentBased({ itemFeatures: feats }), weight: 2 },
    ], { normalize: 'zscore' }).fit({ ...r, nItems: 9 })],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const m = make();
      const back = rebuild(m as unknown as Savable) as unknown as Recommender;
      expect(all(back)).toEqual(all(m));
      expect(back.recommend(0, 4)).toEqual(m.recommend(0, 4));
      expect(JSON.parse(JSON.stringify(back.toJSON()))).toEqual(JSON.parse(JSON.stringify(m.toJSON())));
    });
  }

  it('the hybrid config lists its components as children; fromJSON rebuilds them', () => {
    const h = cases[5][1]() as HybridRecommender;
    const c = h.config();
    expect(c.children!.map((k) => k.type)).toEqual(['ItemKNN', 'ContentBased']);
    expect(c.options).toEqual({ normalize: 'zscore', weights: [0.5, 2] });
    expect(Object.keys(h.stateDict()).filter((k) => k.startsWith('components.1.'))).toContain('components.1.itemFeatures');
    const back = HybridRecommender.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    expect(all(back)).toEqual(all(h));
  });

  it('training interactions are int32 typed tensors', () => {
    const sd = new ItemKNN().fit({ users: [0, 1, 1], items: [1, 0, 1] }).stateDict();
    expect(sd['train.ptr']).toMatchObject({ dtype: 'I32', shape: [3] });
    expect(Array.from((sd['train.idx'] as { data: Int32Array }).data)).toEqual([1, 0, 1]);
    expect(() => new ItemKNN().loadStateDict({ ...sd, 'train.idx': { dtype: 'I32', shape: [3], data: new Int32Array([1, 5, 1]) } })).toThrow(ArgumentError);
  });
});

describe('modelClasses', () => {
  it('maps every savable type to its class, the families included (familyFactories is the same kind of map)', () => {
    for (const [type, C] of Object.entries(familyFactories)) expect(modelClasses[type]).toBe(C);
    for (const type of ['LinearRegression', 'LogisticRegression', 'MLPClassifier', 'MLPRegressor', 'MatrixFactorization', 'BPR', 'ItemKNN',
      'ContentBased', 'HybridRecommender', 'StandardScaler', 'MinMaxScaler', 'RobustScaler', 'OneHotEncoder', 'LabelEncoder', 'SimpleImputer']) {
      expect((modelClasses[type] as { name: string }).name).toBe(type);
    }
  });

  it('a family rebuilt as new C(config().options) + loadStateDict predicts identically', () => {
    const mlp = new MLP({ inFeatures: 2, hiddenSizes: [4], outFeatures: 2, activation: 'identity', rng: new Generator(0) });
    const copy = new familyFactories.MLP(mlp.config().options!);
    copy.loadStateDict(mlp.stateDict());
    expect((copy.forward as (t: Tensor) => Tensor)(x).data).toEqual(mlp.forward(x).data);
  });

  it('learns: a moons classifier rebuilt from its savable form keeps its accuracy', () => {
    const { x: mx, y: my } = makeMoons({ nSamples: 60, noise: 0.1, rng: new Generator(0) });
    const clf = new MLPClassifier({ hiddenLayerSizes: [8], learningRateInit: 0.05, maxIter: 50, rng: new Generator(1) }).fit(mx, my);
    expect(rebuild(clf).score(mx, my)).toBe(clf.score(mx, my));
    const { x: rx, y: ry } = makeRegression({ nSamples: 30, nFeatures: 3, noise: 0.1, rng: new Generator(0) });
    const reg = new LinearRegression({ solver: 'gd', lr: 0.1, epochs: 50 }).fit(rx, ry);
    expect(rebuild(reg).score(rx, ry)).toBe(reg.score(rx, ry));
  });
});
