/**
 * tensorkit demo: trains real models on built-in data, prints what they reach and writes a few
 * figures (SVG) to demo-plots/ (the same as `npx tensorkit demo`; the code is src/cli/demo.ts).
 *
 *   1. y = 3x + 2 + noise fitted with autograd by full-batch, stochastic and mini-batch gradient
 *      descent: one update rule (SGD) fed a DataLoader of batch size N, 1 or 16.
 *   2. One model of each family on seeded synthetic data, with a live progress bar on a terminal,
 *      then a table of held-out scores.
 *
 * Run: npm run demo (flags as `tensorkit demo --help`: --plots DIR, --no-plots)
 */
import { main } from '../src/cli/main';

process.exitCode = await main(['demo', ...process.argv.slice(2)]);
