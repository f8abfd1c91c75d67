import type { Emit } from './export-graph';
/** @internal */
export const ATTENTION: Record<string, Emit> = {};
