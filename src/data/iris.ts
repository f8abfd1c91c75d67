import { Tensor } from '../tensor/tensor';

/**
 * The 600 measurements of Fisher's iris data in tenths of a centimetre, two digits each, one
 * sample per 8 characters (sepal length, sepal width, petal length, petal width), 50 samples of
 * each class in order. This is scikit-learn's copy (`sklearn.datasets.load_iris`), which fixes
 * samples 35 and 38 of the UCI file to agree with Fisher's paper.
 */
const IRIS =
  '51351402493014024732130246311502503614025439170446341403503415024429140249311501' +
  '54371502483416024830140143301101584012025744150454391304513514035738170351381503' +
  '54341702513715044636100251331705483419025030160250341604523515025234140247321602' +
  '48311602543415045241150155421402493115025032120255351302493614014430130251341502' +
  '50351303452313034432130250351606513819044830140351381602463214025337150250331402' +
  '70324714643245156931491555234013652846155728451363334716492433106629461352273914' +
  '50203510593042156022401061294714562936136731441456304515582741106222451556253911' +
  '59324818612840136325491561284712642943136630441468284814673050176029451557263510' +
  '55243811552437105827391260275116543045156034451667314715632344135630411355254013' +
  '55264412613046145826401250233310562742135730421257294213622943135125301157284113' +
  '63336025582751197130592163295618653058227630662149254517732963186725581872366125' +
  '65325120642753196830552157255020582851246432532365305518773867227726692360225015' +
  '69325723562849207728672063274918673357217232601862284818613049186428562172305816' +
  '74286119793864206428562263285115612656147730612363345624643155186030481869315421' +
  '67315624693151235827511968325923673357256730522363255019653052206234542359305118';

/** The iris data set: measurements, classes and their names. */
export interface IrisData {
  /** Measurements in cm, shape [150, 4]. */
  x: Tensor;
  /** Class indices 0, 1, 2 as exact float values, shape [150]. */
  y: Tensor;
  /** `['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)']`. */
  featureNames: string[];
  /** `['setosa', 'versicolor', 'virginica']`. */
  targetNames: string[];
}

/**
 * Fisher's iris data (1936): 150 flowers, 4 measurements in cm, 3 species of 50 each, embedded in
 * the library (scikit-learn's copy, so results match `sklearn.datasets.load_iris()`). Samples are
 * in class order: rows 0–49 setosa, 50–99 versicolor, 100–149 virginica; shuffle before
 * splitting. Each call returns fresh tensors.
 *
 * Shapes: x [150, 4], y [150] (class indices as exact float32 integers).
 * @example
 * const iris = loadIris();
 * iris.x.shape; // [150, 4]
 * iris.x.tolist()[0]; // [5.1, 3.5, 1.4, 0.2]
 * iris.targetNames; // ['setosa', 'versicolor', 'virginica']
 * iris.y.sum().item(); // 150
 * @see R. A. Fisher, "The use of multiple measurements in taxonomic problems", Annals of Eugenics 7 (1936).
 * @category Data
 */
export function loadIris(): IrisData {
  const x = new Float32Array(600);
  const y = new Float32Array(150);
  // Dividing the integer by 10 gives the double nearest to the decimal, so float32 matches NumPy's cast.
  for (let i = 0; i < 600; i++) {
    x[i] = ((IRIS.charCodeAt(2 * i) - 48) * 10 + IRIS.charCodeAt(2 * i + 1) - 48) / 10;
  }
  for (let i = 0; i < 150; i++) y[i] = Math.floor(i / 50);
  return {
    x: new Tensor(x, [150, 4]),
    y: new Tensor(y, [150]),
    featureNames: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'],
    targetNames: ['setosa', 'versicolor', 'virginica'],
  };
}
