// Brands (internal): how the classes that cross package boundaries (Tensor, Parameter, Module,
// Generator, TypedBuffer) are recognised. An ESM and a CommonJS copy of tensorkit in one process
// (the dual-package hazard) have two `Tensor` classes, so `instanceof` of one copy refuses the
// other's tensors. A brand is a `Symbol.for` key, shared by every copy in the realm, set on the
// class's prototype; a class's static `Symbol.hasInstance` answers `x instanceof Base` with the
// brand when asked about the branded class itself, and with the ordinary prototype-chain test for
// a user subclass (so `x instanceof MyLayer` stays exact).

/** A brand: the key, the check, and the `Symbol.hasInstance` body of its class. @internal */
export interface Brand {
  /** `Symbol.for('tensorkit.<Name>')`. */
  readonly key: symbol;
  /**
   * Sets the brand on `proto` (non-enumerable, read-only), its value the prototype itself: an
   * instance inherits it, and the prototype, whose brand is itself, is not an instance (so
   * `Linear.prototype instanceof Module` stays true and `Module.prototype instanceof Module` false,
   * as with ordinary `instanceof`). Call once, after the class body.
   */
  mark(proto: object): void;
  /** True when `v` carries the brand (own or inherited) with a value other than `v` itself. */
  is(v: unknown): boolean;
  /**
   * The body of `static [Symbol.hasInstance](v)` of the branded class `cls`: the brand check when
   * `self` (the right-hand side of `instanceof`) is `cls`, else ordinary `instanceof`.
   */
  hasInstance(cls: object, self: unknown, v: unknown): boolean;
}

const ordinary = Function.prototype[Symbol.hasInstance];

/** The brand `Symbol.for('tensorkit.' + name)`. @internal */
export function brand(name: string): Brand {
  const key = Symbol.for(`tensorkit.${name}`);
  const is = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null) return false;
    const b = (v as Record<symbol, unknown>)[key];
    return b !== undefined && b !== v;
  };
  return {
    key,
    mark: (proto) => { Object.defineProperty(proto, key, { value: proto }); },
    is,
    hasInstance: (cls, self, v) => (self === cls ? is(v) : ordinary.call(self, v)),
  };
}
