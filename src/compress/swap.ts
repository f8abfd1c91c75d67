/** Swapping a layer of a built model for another (quantization, QAT and `shrink` do). */
import { ArgumentError } from '../tensor/errors';
import type { Module } from '../nn/module';

/**
 * Puts `replacement` where the dotted `name` points in `root` (a field, or an array field's entry).
 * @internal
 */
export function replaceModule(root: Module, name: string, replacement: Module, op: string): void {
  if (name === '') throw new ArgumentError(`${op}: the model itself is a ${root.constructor.name}; wrap it in a Sequential to swap it`);
  const parts = name.split('.');
  let parent: Record<string, unknown> = root as unknown as Record<string, unknown>;
  for (let i = 0; i < parts.length - 1; i++) parent = parent[parts[i]] as Record<string, unknown>;
  const last = parts[parts.length - 1];
  const desc = Object.getOwnPropertyDescriptor(parent, last);
  if (desc !== undefined && !desc.writable && desc.set === undefined) {
    Object.defineProperty(parent, last, { ...desc, value: replacement });
  } else parent[last] = replacement;
}
