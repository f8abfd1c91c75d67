import type { Module } from '../../nn/index';
import type { Emit } from './export-graph';
/** @internal */
export const QUANTIZED: Record<string, Emit> = {};
/** @internal */
export function withObserversFrozen<T>(_m: Module, fn: () => T): T { return fn(); }
