// The config half of the savable convention (see docs/architecture.md), shared structurally by
// nn, data, models and io: io saves and rebuilds anything whose config() has this shape.

/** The config a savable (see `Savable` in tensorkit/io) writes: its class's `type` name, constructor options and child configs. @category Tensor */
export interface SavableConfig {
  /** The name a registry maps to the class, e.g. `'Linear'`. */
  type: string;
  /** What the class's constructor takes back as its single argument (JSON-safe: no NaN, functions or class instances). */
  options?: Record<string, unknown>;
  /** Child configs, for containers; the rebuilt children come back to the constructor as `options.children`. */
  children?: SavableConfig[];
}
