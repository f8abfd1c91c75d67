import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Parameter, Tensor, arange, tensor, zeros } from '../../src/tensor/index';
import { decodeNumbers } from '../../src/tensor/json';
import { pyExp, pyFixed } from '../../src/tensor/print';

interface Case { name: string; shape: number[]; data: (number | string)[]; requiresGrad: boolean; parameter: boolean; str: string }
const fixture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/print.json'), 'utf8')) as { source: string; cases: Case[] };

function build(c: Case): Tensor {
  const data = Float32Array.from(decodeNumbers(c.data, 'print.json'));
  if (c.parameter) {
    const p = new Parameter(new Tensor(data, c.shape));
    p.requiresGrad = c.requiresGrad;
    return p;
  }
  const t = new Tensor(data, c.shape);
  t.requiresGrad = c.requiresGrad;
  return t;
}

describe('Tensor.toString prints as PyTorch 1.13 str(tensor)', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(build(c).toString()).toBe(c.str);
  });

  it('the fixture covers every mode and suffix', () => {
    const all = fixture.cases.map((c) => c.str).join('\n');
    for (const part of ['e+', 'e-', '...', 'nan', 'inf', 'requires_grad=True)', '\n       requires_grad=True', 'Parameter containing:', 'size=(0, 3)', '-0.']) {
      expect(all, part).toContain(part);
    }
  });
});

describe('formatting details', () => {
  it('rounds exact ties to even as Python does, where toFixed and toExponential round them away from zero', () => {
    // 0.03125 = 1/32 is a float: exactly halfway between 0.0312 and 0.0313.
    expect((0.03125).toFixed(4)).toBe('0.0313');
    expect(pyFixed(0.03125, 4)).toBe('0.0312');
    expect(pyFixed(0.09375, 4)).toBe('0.0938');
    expect(pyFixed(2.5, 0)).toBe('2');
    expect(pyFixed(3.5, 0)).toBe('4');
    // Not a tie: the float nearest 0.00015 is below it.
    expect(pyFixed(0.00015, 4)).toBe('0.0001');
    expect(pyExp(1.03125, 4)).toBe('1.0312e+00');
    expect(pyExp(12345, 4)).toBe('1.2345e+04');
    expect(pyExp(123455, 4)).toBe('1.2346e+05'); // 123455 = 1.2345|5e5: the digit before is odd, up
    expect(pyExp(123465, 4)).toBe('1.2346e+05'); // 1.2346|5e5: even, down
    expect(pyExp(1e-40, 4)).toBe('1.0000e-40');
    expect(pyFixed(-0, 4)).toBe('-0.0000');
    expect(pyExp(-0, 4)).toBe('-0.0000e+00');
    expect(pyFixed(NaN, 4)).toBe('nan');
    expect(pyExp(-Infinity, 4)).toBe('-inf');
  });

  it('Node util.inspect and console.log show the same text, also nested in an object', () => {
    const x = tensor([[1, 2], [3, 4.5]]);
    expect(inspect(x)).toBe(x.toString());
    expect(inspect({ x: tensor([1, 2]) })).toBe('{ x: tensor([1., 2.]) }');
    expect(`${x}`).toBe('tensor([[1.0000, 2.0000],\n        [3.0000, 4.5000]])');
  });

  it('a recorded result shows grad_fn=<op> with tensorkit op names; a detached one shows nothing', () => {
    const x = tensor([1, 2]);
    x.requiresGrad = true;
    expect(x.mul(2).toString()).toBe('tensor([2., 4.], grad_fn=<mul>)');
    expect(x.mul(2).detach().toString()).toBe('tensor([2., 4.])');
  });

  it('summarizes past 1,000 elements only', () => {
    expect(arange(0, 1000).toString()).not.toContain('...');
    expect(arange(0, 1001).toString()).toContain(' ...');
    expect(zeros([2, 0]).toString()).toBe('tensor([], size=(2, 0))');
  });
});
