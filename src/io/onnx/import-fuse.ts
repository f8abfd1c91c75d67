// Fusion of an imported graph's Conv → Relu (→ MaxPool 2×2 stride 2) chains into the fused
// tensorkit ops Sequential uses (`conv2dRelu`, `conv2dReluPool`): the compiled steps of those nodes
// are marked here by import-ops.ts, and `fuseChains` rewrites the ordered step list once, at import.
// A chain fuses only where nothing else reads the values between its nodes (no other consumer, not
// a graph output). The fused ops fall back to the separate ops wherever they would (a trace, a
// numeric check), so values and gradients are the unfused graph's bit for bit.

import type { Tensor } from '../../tensor/index';
import { conv2dRelu, conv2dReluPool, type Conv2dOptions } from '../../tensor/ops/conv';
import type { Run, Value } from './import-ops';

/** What a compiled step is, for fusion: a 2-D convolution (its call resolved from the step's inputs), a ReLU, or a 2×2 stride-2 max pool. */
type Mark =
  | { kind: 'conv'; args: (ins: (Value | null)[]) => [Tensor, Tensor, Tensor | null, Conv2dOptions] | null }
  | { kind: 'relu' }
  | { kind: 'halvingMaxPool' };

const marks = new WeakMap<Run, Mark>();

/** Marks a compiled step's run for {@link fuseChains}; returns the run. */
export function mark(run: Run, m: Mark): Run {
  marks.set(run, m);
  return run;
}

/** A step of the ordered list (import.ts's, before the release lists are computed). */
export interface FusableStep {
  run: Run;
  label: string;
  inputs: string[];
  outputs: string[];
}

/**
 * The ordered steps with each fusable chain replaced by one step at the convolution's place:
 * Conv → Relu → MaxPool(2×2, stride 2) becomes `conv2dReluPool`, Conv → Relu `conv2dRelu`. `keep`
 * holds the names that must stay readable (graph outputs). A convolution whose call cannot be
 * resolved as a 2-D one (a 1-D convolution) runs the chain's steps one by one.
 */
export function fuseChains(steps: FusableStep[], keep: ReadonlySet<string>): FusableStep[] {
  const readers = new Map<string, number>();
  for (const s of steps) for (const n of s.inputs) if (n !== '') readers.set(n, (readers.get(n) ?? 0) + 1);
  const byInput = new Map<string, number>();
  steps.forEach((s, i) => { if (s.inputs.length >= 1) byInput.set(s.inputs[0], i); });
  // A step reads `name` alone when it is name's only reader, through its first input.
  const soleReader = (name: string, kind: Mark['kind']): number => {
    if (keep.has(name) || readers.get(name) !== 1) return -1;
    const i = byInput.get(name);
    return i !== undefined && marks.get(steps[i].run)?.kind === kind && steps[i].inputs.filter((n) => n !== '').length === 1 ? i : -1;
  };
  const dropped = new Set<number>();
  const out: FusableStep[] = [];
  steps.forEach((s, i) => {
    if (dropped.has(i)) return;
    const m = marks.get(s.run);
    const r = m?.kind === 'conv' && s.outputs.length === 1 ? soleReader(s.outputs[0], 'relu') : -1;
    if (m?.kind !== 'conv' || r < 0 || steps[r].outputs.length !== 1) {
      out.push(s);
      return;
    }
    const p = soleReader(steps[r].outputs[0], 'halvingMaxPool');
    const chain = p >= 0 && steps[p].outputs.length === 1 ? [s, steps[r], steps[p]] : [s, steps[r]];
    const fused = chain.length === 3 ? conv2dReluPool : conv2dRelu;
    const args = m.args;
    const oneByOne = (ins: (Value | null)[]): (Value | null)[] => {
      let v: (Value | null)[] = chain[0].run(ins);
      for (const t of chain.slice(1)) v = t.run([v[0], ...Array<Value | null>(7).fill(null)]);
      return v;
    };
    out.push({
      run: (ins) => {
        const a = args(ins);
        return a === null ? oneByOne(ins) : [fused(...a)];
      },
      label: chain.map((t) => t.label).join(' + '),
      inputs: s.inputs,
      outputs: chain[chain.length - 1].outputs,
    });
    dropped.add(r);
    if (chain.length === 3) dropped.add(p);
  });
  return out;
}
