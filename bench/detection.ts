import { DataLoader, TensorDataset, makeDetection } from '../src/data/index';
import { meanAveragePrecision } from '../src/metrics/index';
import { Detector } from '../src/models/index';
import { Adam, CosineAnnealingLR } from '../src/optim/index';
import { Generator, getBackend } from '../src/tensor/index';
import { fit } from '../src/train/index';
import { isMain, toMarkdown, type BenchRow } from './util';

// Object detection end to end: the Detector family (CenterNet-style, stride 4) trained on
// makeDetection and scored with COCO's mAP on a held-out split drawn from another seed.
// Run: npx tsx bench/detection.ts [seeds…] (default seed 0; each seed changes the initial weights
// and batch order, the data stay the same).
const SIZE = 32, CLASSES = 3, MAX_OBJECTS = 3, N_TRAIN = 1200, N_TEST = 400, EPOCHS = 15, BATCH = 32, LR = 3e-3;

export const detectionNotes = [
  `detection: makeDetection ${SIZE}×${SIZE} grayscale, ${CLASSES} classes (rectangle, ellipse, triangle), 1–${MAX_OBJECTS} objects per ` +
    `image on cluttered backgrounds, ${N_TRAIN} training images (seed 1) and ${N_TEST} held-out images (seed 2); Detector with ` +
    `channels [16, 32, 32], headChannels 32, batch norm, trained ${EPOCHS} epochs with Adam (lr ${LR}, cosine annealing to 0, ` +
    `batch ${BATCH}) through fit; detect with scoreThreshold 0.01, iouThreshold 0.5; meanAveragePrecision is COCO's ` +
    '(IoU 0.50:0.05:0.95, 101 recall points, maxDets 100). "train s" is the wall time of fit alone (it depends on the machine and its load).',
];

/** One training run: the held-out COCO figures and the training time. */
export async function trainDetector(seed: number): Promise<{ map: number; map50: number; map75: number; seconds: number }> {
  const tr = makeDetection({ nSamples: N_TRAIN, size: SIZE, maxObjects: MAX_OBJECTS, rng: new Generator(1) });
  const te = makeDetection({ nSamples: N_TEST, size: SIZE, maxObjects: MAX_OBJECTS, rng: new Generator(2) });
  const det = new Detector({ inputSize: SIZE, numClasses: CLASSES, rng: new Generator(100 + seed) });
  const optimizer = new Adam(det.parameters(), { lr: LR });
  const t0 = performance.now();
  await fit(det, {
    data: new DataLoader(new TensorDataset(tr.images, det.encodeTargets(tr.boxes, tr.labels)), { batchSize: BATCH, shuffle: true, rng: new Generator(200 + seed) }),
    loss: (p, t) => det.loss(p, t), optimizer, scheduler: new CosineAnnealingLR(optimizer, { tMax: EPOCHS }), epochs: EPOCHS,
  });
  const seconds = (performance.now() - t0) / 1000;
  const pred = det.detect(te.images, { scoreThreshold: 0.01, iouThreshold: 0.5 });
  const m = meanAveragePrecision(pred, te.boxes.map((boxes, i) => ({ boxes, labels: te.labels[i] })));
  return { map: m.map, map50: m.map50, map75: m.map75, seconds };
}

/** Rows: mAP, mAP@0.5, mAP@0.75 (%) and the training time of each seed. */
export async function benchDetection(seeds = [0]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const seed of seeds) {
    const r = await trainDetector(seed);
    const size = `${N_TRAIN} imgs × ${EPOCHS} ep, seed ${seed}, ${getBackend()}`;
    for (const [name, v] of [['mAP (0.50:0.95)', r.map], ['mAP@0.5', r.map50], ['mAP@0.75', r.map75]] as const) {
      rows.push({ name: `Detector ${name}`, size, unit: 'held-out %', ours: 100 * v, peers: {}, ratio: {} });
    }
    rows.push({ name: 'Detector train s', size, unit: 's', ours: r.seconds, peers: {}, ratio: {} });
    console.error(`seed ${seed}: mAP ${r.map.toFixed(3)}, mAP@0.5 ${r.map50.toFixed(3)}, mAP@0.75 ${r.map75.toFixed(3)}, train ${r.seconds.toFixed(1)} s`);
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const seeds = process.argv.slice(2).map(Number);
  console.log(toMarkdown(await benchDetection(seeds.length > 0 ? seeds : [0])));
  console.log();
  for (const note of detectionNotes) console.log(note);
}
