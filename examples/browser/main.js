// The browser example: trains a CNN on makeShapes with tensorkit's built ESM bundle (dist/index.js,
// which also exports tensorkit/plot), drawing a progress bar, the loss curves and sample
// predictions as it goes. Open it through a static server at the repository root (README:
// "A CNN in the browser"); scripts/browser-example.mjs runs it in headless Chromium for CI.
// window.tkExample reports the state: { epoch, epochs, testAccuracy, done, error }.
import {
  Adam, CNN, DataLoader, Generator, TensorDataset, accuracy, crossEntropy, fit, getBackend, lossCurves, makeShapes, predict,
} from '../../dist/index.js';

const EPOCHS = 8, CLASSES = ['circle', 'square', 'triangle'], SIZE = 16, SAMPLES = 12;
const $ = (id) => document.getElementById(id);
const state = (window.tkExample = { epoch: 0, epochs: EPOCHS, testAccuracy: 0, done: false, error: null, seconds: 0 });
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

/** Draws test image i (1×16×16 in [0, 1]) into a canvas, framed by whether the prediction is right. */
function drawSample(x, i, pred, truth) {
  const fig = document.createElement('figure');
  const c = document.createElement('canvas');
  c.width = c.height = SIZE;
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(SIZE, SIZE);
  const off = i * SIZE * SIZE;
  for (let p = 0; p < SIZE * SIZE; p++) {
    const v = 255 - Math.round(255 * x.data[off + p]);
    img.data.set([v, v, v, 255], p * 4);
  }
  ctx.putImageData(img, 0, 0);
  c.className = pred === truth ? 'right' : 'wrong';
  const cap = document.createElement('figcaption');
  cap.textContent = pred === truth ? CLASSES[pred] : `${CLASSES[pred]} (is ${CLASSES[truth]})`;
  fig.append(c, cap);
  return fig;
}

/** The first SAMPLES / 3 test images of each class, in test order. */
function sampleIndices(y) {
  const per = new Array(CLASSES.length).fill(0), out = [];
  for (let i = 0; i < y.size && out.length < SAMPLES; i++) {
    if (per[y.data[i]] < SAMPLES / CLASSES.length) {
      per[y.data[i]]++;
      out.push(i);
    }
  }
  return out;
}

function showSamples(model, test, idx) {
  const pred = predict(model, test.x).argmax({ axis: 1 }).data;
  $('samples').replaceChildren(...idx.map((i) => drawSample(test.x, i, pred[i], test.y.data[i])));
}

async function run() {
  const t0 = performance.now();
  const train = makeShapes({ nSamples: 600, size: SIZE, noise: 0.05, rng: new Generator(7) });
  const test = makeShapes({ nSamples: 300, size: SIZE, noise: 0.05, rng: new Generator(8) });
  const model = new CNN({ inChannels: 1, inputSize: SIZE, numClasses: 3, blocks: [{ channels: 8 }, { channels: 16 }], rng: new Generator(9) });
  const loader = new DataLoader(new TensorDataset(train.x, train.y), { batchSize: 32, shuffle: true, rng: new Generator(10) });
  const status = $('status'), bar = $('bar');
  const history = { epochs: [], history: { loss: [], valLoss: [] } };
  let running = 0, seen = 0;
  const idx = sampleIndices(test.y);
  showSamples(model, test, idx);
  await fit(model, {
    data: loader,
    validation: new DataLoader(new TensorDataset(test.x, test.y), { batchSize: 300 }),
    loss: crossEntropy,
    optimizer: new Adam(model.parameters(), { lr: 3e-3 }),
    epochs: EPOCHS,
    metrics: { accuracy: { fn: accuracy, predictions: 'argmax' } },
    callbacks: [{
      onEpochBegin: () => { running = 0; seen = 0; },
      onBatchEnd: (batch, logs, ctx) => {
        running += logs.loss * logs.size;
        seen += logs.size;
        bar.value = (state.epoch * ctx.batchesPerEpoch + batch + 1) / (EPOCHS * ctx.batchesPerEpoch);
        status.textContent = `backend ${getBackend()} · epoch ${state.epoch + 1}/${EPOCHS} · batch ${batch + 1}/${ctx.batchesPerEpoch} · loss ${(running / seen).toFixed(4)}`;
      },
      onEpochEnd: async (epoch, logs) => {
        state.epoch = epoch + 1;
        state.testAccuracy = logs.valAccuracy;
        history.epochs.push(epoch + 1);
        history.history.loss.push(logs.loss);
        history.history.valLoss.push(logs.valLoss);
        $('curve').innerHTML = lossCurves(history, { width: 480, height: 300, title: 'Cross-entropy per epoch', xLabel: 'epoch', yLabel: 'loss' });
        $('accuracy').textContent = `${(100 * logs.valAccuracy).toFixed(1)}% after epoch ${epoch + 1}`;
        showSamples(model, test, idx);
        await nextFrame();
      },
    }],
  });
  state.seconds = (performance.now() - t0) / 1000;
  status.textContent = `done: ${EPOCHS} epochs in ${state.seconds.toFixed(1)} s on the ${getBackend()} backend · test accuracy ${(100 * state.testAccuracy).toFixed(1)}%`;
  state.done = true;
}

run().catch((e) => {
  state.error = String(e?.stack ?? e);
  const s = $('status');
  s.className = 'error';
  s.textContent = `failed: ${state.error}`;
});
