import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LabelEncoder, MinMaxScaler, OneHotEncoder, RobustScaler, SimpleImputer, StandardScaler, clipOutliers, dropNonFinite,
} from '../../src/data/index';
import { ArgumentError, FormatError, Generator, ShapeError, Tensor, TensorkitError, tensor } from '../../src/tensor/index';
import { expectClose } from '../helpers/check';

type Nums = (number | null)[];
interface Case { kind: string; options: Record<string, unknown>; test: Nums[]; train?: Nums[]; attrs: Record<string, Nums> }
const fx = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/data.json'), 'utf8')) as {
  matrix: { train: Nums[]; test: Nums[]; cases: Case[] };
  onehot: Record<'numeric' | 'strings', { train: unknown[][]; test: unknown[][]; categories: unknown[][]; trainOut: Nums[]; testOut: Nums[]; names?: string[] }>;
  label: Record<'strings' | 'numbers', { y: (string | number)[]; classes: (string | number)[]; codes: number[] }>;
  clip: { x: Nums[]; iqr: Nums[]; iqr3: Nums[]; zscore2: Nums[] };
};

/** JSON null → NaN, then a [N, F] tensor. */
function mat(rows: readonly Nums[]): Tensor {
  return tensor(rows.map((r) => r.map((v) => (v === null ? NaN : v))));
}
function flat(rows: readonly Nums[]): number[] {
  return rows.flatMap((r) => r.map((v) => (v === null ? NaN : v)));
}

const xTrain = mat(fx.matrix.train), xTest = mat(fx.matrix.test);
type Transformer = { fit(x: Tensor): unknown; transform(x: Tensor): Tensor; fitTransform(x: Tensor): Tensor; toJSON(): unknown };
const make: Record<string, (o: Record<string, unknown>) => Transformer> = {
  StandardScaler: (o) => new StandardScaler(o),
  MinMaxScaler: (o) => new MinMaxScaler(o),
  RobustScaler: (o) => new RobustScaler(o),
  SimpleImputer: (o) => new SimpleImputer(o),
};
const fromJSON: Record<string, (j: unknown) => Transformer> = {
  StandardScaler: StandardScaler.fromJSON, MinMaxScaler: MinMaxScaler.fromJSON, RobustScaler: RobustScaler.fromJSON, SimpleImputer: SimpleImputer.fromJSON,
};

describe('scalers and the imputer equal scikit-learn 1.2 on a table with missing values', () => {
  for (const c of fx.matrix.cases) {
    it(`${c.kind} ${JSON.stringify(c.options)}`, () => {
      const t = make[c.kind](c.options);
      t.fit(xTrain);
      for (const [name, want] of Object.entries(c.attrs)) {
        expectClose((t as unknown as Record<string, number[]>)[name], flat([want]), 1e-9, 1e-9);
      }
      // Fit on train, transform test: the statistics come from train only.
      expectClose(t.transform(xTest).data, flat(c.test), 1e-5, 1e-5);
      if (c.train) expectClose(make[c.kind](c.options).fitTransform(xTrain).data, flat(c.train), 1e-5, 1e-5);
      // toJSON → JSON text → fromJSON transforms bit-identically.
      const back = fromJSON[c.kind](JSON.parse(JSON.stringify(t.toJSON())));
      expect(back.toJSON()).toEqual(t.toJSON());
      expect(back.transform(xTest).data).toEqual(t.transform(xTest).data);
    });
  }
});

describe('scalers', () => {
  const scalers = () => [new StandardScaler(), new MinMaxScaler({ featureRange: [-1, 2] }), new RobustScaler(), new RobustScaler({ quantileRange: [5, 60] }),
    new StandardScaler({ withMean: false }), new RobustScaler({ withScaling: false })];

  it('inverseTransform(transform(x)) ≈ x, NaN included', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (N, F, seed) => {
      const g = new Generator(seed);
      const d = new Float32Array(N * F);
      for (let i = 0; i < d.length; i++) d[i] = g.random() < 0.1 ? NaN : g.normal(3, 5);
      const x = new Tensor(d, [N, F]);
      for (const s of scalers()) {
        const back = s.inverseTransform(s.fitTransform(x));
        expectClose(back.data, d, 1e-4, 1e-5);
      }
    }), { numRuns: 40 });
  });

  it('the StandardScaler output of the training data has mean 0 and population std 1', () => {
    const z = new StandardScaler().fitTransform([[1, 5], [2, 5], [6, 5]]);
    const col = (j: number) => [0, 1, 2].map((i) => z.data[i * 2 + j]);
    const m = col(0).reduce((a, b) => a + b) / 3;
    expect(m).toBeCloseTo(0, 6);
    expect(col(0).reduce((a, b) => a + (b - m) ** 2, 0) / 3).toBeCloseTo(1, 5);
    // A constant column has scale 1: shifted to 0, not divided by 0.
    expect(col(1)).toEqual([0, 0, 0]);
  });

  it('MinMaxScaler maps the training extremes onto the range; clip holds new data inside it', () => {
    const s = new MinMaxScaler({ featureRange: [-2, 3] }).fit([[0], [4]]);
    expect(s.transform([[0], [4], [8]]).toArray()).toEqual([-2, 3, 8]);
    const c = new MinMaxScaler({ featureRange: [-2, 3], clip: true }).fit([[0], [4]]);
    expect(c.transform([[-9], [8], [NaN]]).toArray()).toEqual([-2, 3, NaN]);
  });

  it('RobustScaler quantiles follow NumPy linear interpolation', () => {
    // sorted [1, 2, 4, 8]: median 3; q25 at position 0.75 → 1.75; q75 at 2.25 → 5
    const s = new RobustScaler().fit([[8], [1], [4], [2]]);
    expect(s.center).toEqual([3]);
    expect(s.scale).toEqual([3.25]);
  });

  it('NaN in fit is ignored and NaN in transform passes through', () => {
    const s = new StandardScaler().fit([[1], [NaN], [3]]);
    expect(s.mean).toEqual([2]);
    expect(s.var).toEqual([1]);
    expect(s.transform([[NaN], [4]]).toArray()).toEqual([NaN, 2]);
  });

  it('accepts number[][] and Tensors alike', () => {
    const a = new StandardScaler().fit([[1, 2], [3, 5]]).transform([[2, 2]]);
    const b = new StandardScaler().fit(tensor([[1, 2], [3, 5]])).transform(tensor([[2, 2]]));
    expect(a.data).toEqual(b.data);
  });

  it('typed errors: not fitted, feature count, Inf, empty, bad options, bad JSON', () => {
    for (const s of scalers()) {
      let err: unknown;
      try {
        s.transform([[1]]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TensorkitError);
      expect((err as TensorkitError).code).toBe('NOT_FITTED');
      expect(() => s.inverseTransform([[1]])).toThrow(TensorkitError);
      s.fit([[1, 2, 3], [4, 5, 6]]);
      expect(() => s.transform([[1, 2]])).toThrow(ShapeError);
      expect(() => s.transform([[1, 2]])).toThrow(/2 features .* fitted on 3/);
      expect(() => s.transform([[1, Infinity, 2]])).toThrow(ArgumentError);
      expect(() => s.fit([[1, -Infinity]])).toThrow(ArgumentError);
      expect(() => s.fit(tensor([1, 2, 3]))).toThrow(ShapeError);
      expect(() => s.fit(tensor([[]]))).toThrow(ArgumentError);
      expect(() => s.fit('x' as never)).toThrow(ArgumentError);
    }
    expect(() => new StandardScaler({ withMean: 'yes' } as never)).toThrow(ArgumentError);
    expect(() => new StandardScaler({ with_mean: false } as never)).toThrow(ArgumentError);
    expect(() => new MinMaxScaler({ featureRange: [1, 1] })).toThrow(ArgumentError);
    expect(() => new MinMaxScaler({ featureRange: [0, NaN] })).toThrow(ArgumentError);
    expect(() => new RobustScaler({ quantileRange: [80, 20] })).toThrow(ArgumentError);
    expect(() => new RobustScaler({ quantileRange: [-1, 20] })).toThrow(ArgumentError);
    expect(() => StandardScaler.fromJSON({ type: 'MinMaxScaler' })).toThrow(FormatError);
    expect(() => StandardScaler.fromJSON(null)).toThrow(FormatError);
    const std = (state: Record<string, unknown>) => ({ type: 'StandardScaler', version: 2, options: { withMean: true, withStd: true }, state });
    const v = (data: unknown[]) => ({ dtype: 'F64', shape: [data.length], data });
    expect(StandardScaler.fromJSON(std({ mean: v([1]), var: v([4]), scale: v([2]) })).transform([[3]]).toArray()).toEqual([1]);
    expect(() => StandardScaler.fromJSON(std({ mean: v([1]), var: v(['a']), scale: v([1]) }))).toThrow(FormatError);
    expect(() => StandardScaler.fromJSON(std({ mean: v([1, 2]), var: v([1]), scale: v([1]) }))).toThrow(FormatError);
    expect(() => StandardScaler.fromJSON(std({ mean: v([1]), var: v([1]) }))).toThrow(/missing keys: scale/);
    expect(() => StandardScaler.fromJSON({ type: 'StandardScaler', withMean: true, withStd: true, mean: [1], var: [1], scale: [1] })).toThrow(/unsupported version/);
    expect(() => MinMaxScaler.fromJSON({ type: 'MinMaxScaler', version: 2, options: { featureRange: [2, 1], clip: false }, state: {} })).toThrow(FormatError);
    expect(() => RobustScaler.fromJSON({ type: 'RobustScaler', version: 2, options: {}, state: { nFeatures: { shape: [], data: [1] }, center: v([1]) } })).toThrow(/missing keys: scale/);
    expect(() => new StandardScaler({ with_mean: false } as never)).toThrow("StandardScaler: unknown option 'with_mean' (did you mean 'withMean'?)");
    expect(() => new MinMaxScaler({ featureRange: [1, 1] })).toThrow('MinMaxScaler: featureRange must be [lo, hi] with finite lo < hi, got [1, 1]');
  });

  it('an unfitted scaler round-trips through JSON as unfitted', () => {
    const s = StandardScaler.fromJSON(JSON.parse(JSON.stringify(new StandardScaler({ withStd: false }).toJSON())));
    expect(s.withStd).toBe(false);
    expect(() => s.transform([[1]])).toThrow(TensorkitError);
  });

  it("an all-NaN column round-trips through JSON (NaN written as 'NaN', ±Inf as 'Infinity'/'-Infinity')", () => {
    const s = new MinMaxScaler().fit([[NaN, 1], [NaN, 2]]);
    const json = JSON.parse(JSON.stringify(s));
    expect(json.state.dataMin.data).toEqual(['NaN', 1]);
    expect(json.state.dataMax.data).toEqual(['NaN', 2]);
    const back = MinMaxScaler.fromJSON(json);
    expect(back.transform([[1, 1.5]]).toArray()).toEqual([NaN, 0.5]);
    expect(back.dataMin).toEqual([NaN, 1]);
  });
});

describe('SimpleImputer', () => {
  it('keeps an all-NaN column and fills it with fillValue ?? 0 (scikit-learn would drop it)', () => {
    const x = [[NaN, 1], [NaN, 3]];
    for (const strategy of ['mean', 'median', 'mostFrequent'] as const) {
      expect(new SimpleImputer({ strategy }).fitTransform(x).tolist()).toEqual([[0, 1], [0, 3]]);
      expect(new SimpleImputer({ strategy, fillValue: 7 }).fitTransform(x).tolist()).toEqual([[7, 1], [7, 3]]);
    }
  });

  it('mostFrequent breaks ties toward the smallest value; median averages the middle pair', () => {
    expect(new SimpleImputer({ strategy: 'mostFrequent' }).fit([[3], [1], [3], [1], [2], [NaN]]).statistics).toEqual([1]);
    expect(new SimpleImputer({ strategy: 'median' }).fit([[3], [1], [4], [10], [NaN]]).statistics).toEqual([3.5]);
  });

  it('typed errors', () => {
    expect(() => new SimpleImputer().transform([[1]])).toThrow(expect.objectContaining({ code: 'NOT_FITTED' }));
    expect(() => new SimpleImputer({ strategy: 'max' } as never)).toThrow(ArgumentError);
    expect(() => new SimpleImputer({ strategy: 'constant', fillValue: NaN })).toThrow(ArgumentError);
    expect(() => new SimpleImputer().fit([[1, 2]]).transform([[1]])).toThrow(ShapeError);
    const imp = (data: unknown[]) => ({ type: 'SimpleImputer', version: 2, options: { strategy: 'mean', fillValue: null }, state: { statistics: { shape: [data.length], data } } });
    expect(SimpleImputer.fromJSON(imp([2])).transform([[NaN]]).toArray()).toEqual([2]);
    expect(() => SimpleImputer.fromJSON(imp([null]))).toThrow(FormatError);
    expect(() => SimpleImputer.fromJSON(imp(['NaN']))).toThrow(FormatError);
  });
});

describe('OneHotEncoder equals scikit-learn', () => {
  it('numeric codes, NaN as a category sorted last, unknowns ignored', () => {
    const f = fx.onehot.numeric;
    const enc = new OneHotEncoder({ handleUnknown: 'ignore' });
    expect(enc.fitTransform(mat(f.train as Nums[])).data).toEqual(Float32Array.from(flat(f.trainOut)));
    expect(enc.categories).toEqual(f.categories.map((c) => c.map((v) => (v === null ? NaN : v))));
    expect(enc.transform(mat(f.test as Nums[])).data).toEqual(Float32Array.from(flat(f.testOut)));
    const back = OneHotEncoder.fromJSON(JSON.parse(JSON.stringify(enc)));
    expect(back.transform(mat(f.test as Nums[])).data).toEqual(enc.transform(mat(f.test as Nums[])).data);
  });

  it('strings, sorted by code unit ("Red" < "blue"), feature names', () => {
    const f = fx.onehot.strings;
    const enc = new OneHotEncoder({ handleUnknown: 'ignore' }).fit(f.train as string[][]);
    expect(enc.categories).toEqual(f.categories);
    expect(enc.transform(f.train as string[][]).data).toEqual(Float32Array.from(flat(f.trainOut)));
    expect(enc.transform(f.test as string[][]).data).toEqual(Float32Array.from(flat(f.testOut)));
    expect(enc.featureNamesOut(['color', 'size'])).toEqual(f.names);
    expect(enc.nFeaturesOut).toBe(7);
  });

  it('inverseTransform round-trips; an all-zero block is null under ignore', () => {
    const rows = [['a', 2], ['b', 1], ['a', 1]];
    const enc = new OneHotEncoder({ handleUnknown: 'ignore' }).fit(rows);
    expect(enc.inverseTransform(enc.transform(rows))).toEqual(rows);
    expect(enc.inverseTransform(enc.transform([['z', 2]]))).toEqual([[null, 2]]);
  });

  it('numbers compare at float32 precision, so number[][] and Tensor inputs agree', () => {
    const enc = new OneHotEncoder().fit([[0.1], [0.2]]);
    expect(enc.transform(tensor([[0.2]])).toArray()).toEqual([0, 1]);
  });

  it('typed errors', () => {
    const enc = new OneHotEncoder().fit([['a', 1], ['b', 2]]);
    expect(() => enc.transform([['c', 1]])).toThrow(ArgumentError);
    expect(() => enc.transform([['c', 1]])).toThrow(/unknown category "c" in column 0/);
    expect(() => enc.transform([['a']])).toThrow(ShapeError);
    expect(() => enc.transform([[1, 1]])).toThrow(ArgumentError);
    expect(() => enc.inverseTransform([[0, 0, 1, 0]])).toThrow(ArgumentError);
    expect(() => enc.inverseTransform([[0, 1]])).toThrow(ShapeError);
    expect(() => new OneHotEncoder().fit([['a', 1], [2, 1]])).toThrow(/mixes/);
    expect(() => new OneHotEncoder().fit([['a', 1], ['b']])).toThrow(ShapeError);
    expect(() => new OneHotEncoder().fit([])).toThrow(ArgumentError);
    expect(() => new OneHotEncoder().fit([[null]] as never)).toThrow(ArgumentError);
    expect(() => new OneHotEncoder().transform([[1]])).toThrow(expect.objectContaining({ code: 'NOT_FITTED' }));
    expect(() => new OneHotEncoder({ handleUnknown: 'warn' } as never)).toThrow(ArgumentError);
    const ohe = (categories: unknown, state: Record<string, unknown>) => ({ type: 'OneHotEncoder', version: 2, options: { handleUnknown: 'error', categories }, state });
    const n = { nFeatures: { shape: [], data: [2] } };
    expect(OneHotEncoder.fromJSON(ohe([['a', 'b'], null], { ...n, 'categories.1': { shape: [2], data: [1, 'NaN'] } })).categories).toEqual([['a', 'b'], [1, NaN]]);
    expect(() => OneHotEncoder.fromJSON(ohe([['a', 1]], n))).toThrow(FormatError);
    expect(() => OneHotEncoder.fromJSON(ohe([['a'], null], n))).toThrow(/column 1 needs either/);
  });
});

describe('LabelEncoder equals scikit-learn', () => {
  for (const kind of ['strings', 'numbers'] as const) {
    it(kind, () => {
      const f = fx.label[kind];
      const le = new LabelEncoder();
      expect(le.fitTransform(f.y as string[]).toArray()).toEqual(f.codes);
      expect(le.classes).toEqual(f.classes);
      expect(le.inverseTransform(f.codes)).toEqual(f.y);
      expect(LabelEncoder.fromJSON(JSON.parse(JSON.stringify(le))).transform(f.y as string[]).toArray()).toEqual(f.codes);
    });
  }

  it('accepts a 1-D Tensor of labels and returns codes usable as class indices', () => {
    const le = new LabelEncoder().fit(tensor([5, 7, 5]));
    expect(le.transform(tensor([7, 5])).toArray()).toEqual([1, 0]);
  });

  it('typed errors: unseen label, bad codes, NaN, mixed, empty, not fitted', () => {
    const le = new LabelEncoder().fit(['x', 'y']);
    expect(() => le.transform(['z'])).toThrow(ArgumentError);
    expect(() => le.transform(['z'])).toThrow(/"z" was not seen/);
    for (const c of [[2], [-1], [0.5], [NaN]]) expect(() => le.inverseTransform(c)).toThrow(ArgumentError);
    expect(() => new LabelEncoder().fit([1, NaN])).toThrow(ArgumentError);
    expect(() => new LabelEncoder().fit(['a', 1] as never)).toThrow(ArgumentError);
    expect(() => new LabelEncoder().fit([])).toThrow(ArgumentError);
    expect(() => new LabelEncoder().fit(tensor([[1, 2]]))).toThrow(ShapeError);
    expect(() => new LabelEncoder().transform([1])).toThrow(expect.objectContaining({ code: 'NOT_FITTED' }));
    expect(() => LabelEncoder.fromJSON({ type: 'LabelEncoder', version: 2, options: { classes: ['a', 1] }, state: { nClasses: { shape: [], data: [2] } } })).toThrow(FormatError);
    expect(LabelEncoder.fromJSON({ type: 'LabelEncoder', version: 2, options: { classes: ['a', 'b'] }, state: { nClasses: { shape: [], data: [2] } } }).classes).toEqual(['a', 'b']);
  });
});

describe('dropNonFinite', () => {
  it('drops rows with NaN or ±Inf in x or y and reports the kept indices', () => {
    const x = tensor([[1, 2], [3, NaN], [5, 6], [-Infinity, 0], [7, 8]]);
    const y = tensor([1, 2, NaN, 4, 5]);
    const r = dropNonFinite(x, y);
    expect(Array.from(r.kept)).toEqual([0, 4]);
    expect(r.x.tolist()).toEqual([[1, 2], [7, 8]]);
    expect(r.y.toArray()).toEqual([1, 5]);
    expect(Array.from(dropNonFinite(x).kept)).toEqual([0, 2, 4]);
    // Higher-rank samples: a sample is dropped if any of its values is non-finite.
    expect(dropNonFinite(tensor([[[1], [NaN]], [[2], [3]]])).x.shape).toEqual([1, 2, 1]);
    expect(dropNonFinite(tensor([[NaN]])).x.shape).toEqual([0, 1]);
  });

  it('typed errors', () => {
    expect(() => dropNonFinite(tensor([[1], [2]]), tensor([1]))).toThrow(ShapeError);
    expect(() => dropNonFinite(tensor(1))).toThrow(ShapeError);
    expect(() => dropNonFinite('x' as never)).toThrow(ArgumentError);
  });
});

describe('clipOutliers equals NumPy fences', () => {
  const x = mat(fx.clip.x);
  it('iqr (factor 1.5 default and 3), zscore (factor 2)', () => {
    expectClose(clipOutliers(x).data, flat(fx.clip.iqr), 1e-5, 1e-6);
    expectClose(clipOutliers(x, { method: 'iqr', factor: 3 }).data, flat(fx.clip.iqr3), 1e-5, 1e-6);
    expectClose(clipOutliers(x, { method: 'zscore', factor: 2 }).data, flat(fx.clip.zscore2), 1e-5, 1e-6);
  });

  it('typed errors', () => {
    expect(() => clipOutliers(x, { method: 'mad' } as never)).toThrow(ArgumentError);
    expect(() => clipOutliers(x, { factor: -1 })).toThrow(ArgumentError);
    expect(() => clipOutliers(tensor([1, 2]))).toThrow(ShapeError);
    expect(() => clipOutliers([[Infinity]])).toThrow(ArgumentError);
  });
});
