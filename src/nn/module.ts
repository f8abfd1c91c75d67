import {
  ArgumentError, ShapeError, Tensor, Parameter, TensorkitError, noGrad, zeros,
} from '../tensor/index';

/** A JSON description of a module that is enough to rebuild it (see {@link Module.config}). */
export interface ModuleConfig {
  /** The class name, e.g. `'Linear'`. */
  type: string;
  /** The constructor options (JSON-safe). */
  options?: Record<string, unknown>;
  /** Child configs, for containers such as `Sequential`. */
  children?: ModuleConfig[];
}

/** A state dict: parameter and buffer names mapped to tensors, in registration order. */
export type StateDict = Record<string, Tensor>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Require exactly the module's keys (default true). Mis-sized tensors are always an error. */
  strict?: boolean;
}

/** The result of {@link Module.loadStateDict} with `strict: false`. */
export interface LoadStateDictResult {
  /** The module's keys that the state dict did not have; those tensors keep their values. */
  missingKeys: string[];
  /** The state dict's keys that the module does not have; ignored. */
  unexpectedKeys: string[];
}

function isModule(v: unknown): v is Module {
  return v instanceof Module;
}

/**
 * Base class of every layer and model (PyTorch's `nn.Module`). Parameters, buffers and child
 * modules are found by reflection over the instance's own fields in assignment order: a
 * `Parameter` field is a parameter, any other `Tensor` field is a buffer (saved in the state
 * dict, not trained), a `Module` field is a child; arrays of these are walked too and named by
 * index (`layers.0.weight`). Nothing is registered by hand.
 *
 * @example
 * class TwoLayer extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 1);
 *   forward(x: Tensor): Tensor { return this.fc2.forward(relu(this.fc1.forward(x))); }
 * }
 * new TwoLayer().namedParameters().map(([n]) => n); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * @category Modules
 */
export abstract class Module {
  /** Training mode (true) or evaluation mode (false); affects dropout and batch norm. */
  training = true;

  /** The computation. Subclasses define it with their own signature. */
  abstract forward(...inputs: never[]): unknown;

  /** Own fields in assignment order, flattened through arrays, as `[name, value]`. */
  private ownEntries(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const key of Object.keys(this)) {
      if (key === 'training') continue;
      const v = (this as Record<string, unknown>)[key];
      if (Array.isArray(v)) v.forEach((item, i) => out.push([`${key}.${i}`, item]));
      else out.push([key, v]);
    }
    return out;
  }

  /** Direct children with their field names. */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    return this.ownEntries().filter((e): e is [string, Module] => {
      if (!isModule(e[1]) || seen.has(e[1])) return false;
      seen.add(e[1]);
      return true;
    });
  }

  /** Direct children. */
  children(): Module[] {
    return this.namedChildren().map((e) => e[1]);
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const stack: [string, Module][] = [[prefix, this]];
    while (stack.length > 0) {
      const [name, m] = stack.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([name, m]);
      const kids = m.namedChildren();
      for (let i = kids.length - 1; i >= 0; i--) stack.push([name ? `${name}.${kids[i][0]}` : kids[i][0], kids[i][1]]);
    }
    return out;
  }

  /** This module and every descendant, depth first. */
  modules(): Module[] {
    return this.namedModules().map((e) => e[1]);
  }

  /** Every parameter with its dotted name, this module's own first, then each child's in order. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, v] of m.ownEntries()) if (v instanceof Parameter) out.push([prefix ? `${prefix}.${k}` : k, v]);
    }
    return out;
  }

  /** Every distinct parameter (a parameter shared by two layers appears once). */
  parameters(): Parameter[] {
    return [...new Set(this.namedParameters().map((e) => e[1]))];
  }

  /** Every buffer (a non-Parameter tensor field: running statistics, masks) with its dotted name. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, v] of m.ownEntries()) if (v instanceof Tensor && !(v instanceof Parameter)) out.push([prefix ? `${prefix}.${k}` : k, v]);
    }
    return out;
  }

  /** Every distinct buffer. */
  buffers(): Tensor[] {
    return [...new Set(this.namedBuffers().map((e) => e[1]))];
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (`train(false)`); returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradient of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Number of scalar parameters (each shared parameter counted once).
   * @param options.trainableOnly - count only parameters with requiresGrad (default false).
   */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options?.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /** Calls `fn` on every descendant and then on this module (as PyTorch's `apply`); returns this. */
  apply(fn: (m: Module) => void): this {
    const mods = this.modules();
    for (let i = mods.length - 1; i >= 0; i--) fn(mods[i]);
    return this;
  }

  /**
   * Parameters and buffers by dotted name, in registration order. The tensors are detached views
   * that share the module's buffers (as PyTorch): clone them to keep a snapshot.
   */
  stateDict(): StateDict {
    // Module by module, parameters then buffers, as PyTorch orders its state dicts.
    const sd: StateDict = {};
    for (const [prefix, m] of this.namedModules()) {
      const own = m.ownEntries();
      for (const [k, v] of own) if (v instanceof Parameter) sd[prefix ? `${prefix}.${k}` : k] = v.detach();
      for (const [k, v] of own) if (v instanceof Tensor && !(v instanceof Parameter)) sd[prefix ? `${prefix}.${k}` : k] = v.detach();
    }
    return sd;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers, in place (so an
   * optimizer holding the parameters keeps working).
   * @throws ShapeError listing every mis-sized key; with `strict` (default), TensorkitError
   * `INVALID_ARGUMENT` listing missing and unexpected keys. Nothing is copied when it throws.
   */
  loadStateDict(sd: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    if (sd === null || typeof sd !== 'object') throw new ArgumentError(`loadStateDict: expected an object of name → Tensor, got ${sd === null ? 'null' : typeof sd}`);
    const strict = options?.strict ?? true;
    const own = new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
    const missing = [...own.keys()].filter((k) => !(k in sd));
    const unexpected = Object.keys(sd).filter((k) => !own.has(k));
    const wrong: string[] = [];
    for (const [k, t] of own) {
      if (!(k in sd)) continue;
      const src = sd[k];
      if (!(src instanceof Tensor)) wrong.push(`${k}: not a Tensor`);
      else if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
        wrong.push(`${k}: checkpoint [${src.shape.join(', ')}] vs model [${t.shape.join(', ')}]`);
      }
    }
    if (wrong.length > 0) throw new ShapeError(`loadStateDict: mis-sized or invalid entries: ${wrong.join('; ')}`);
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new TensorkitError('INVALID_ARGUMENT', `loadStateDict: ${parts.join('; ')} (pass { strict: false } to load the rest)`);
    }
    for (const [k, t] of own) if (k in sd) t.data.set(sd[k].data);
    return { missingKeys: missing, unexpectedKeys: unexpected };
  }

  /**
   * JSON needed to rebuild this module: its class name and constructor options. Built-in layers
   * override it; a custom module that should be saved with `saveModel` overrides it too.
   */
  config(): ModuleConfig {
    return { type: this.constructor.name };
  }

  /**
   * A text table of the layers (like Keras's `model.summary()`): each leaf module's name and
   * type, its output shape (when `inputShape` is given, found by running a forward pass on zeros
   * without recording gradients) and its parameter count, then the totals.
   * @param inputShape - shape of one input batch, e.g. `[1, 1, 28, 28]`.
   */
  summary(inputShape?: readonly number[]): string {
    const shapes = new Map<Module, string>();
    const named = this.namedModules();
    if (inputShape !== undefined) {
      const patched: [Module, boolean, unknown][] = [];
      for (const [, m] of named) {
        const orig = m.forward;
        patched.push([m, Object.prototype.hasOwnProperty.call(m, 'forward'), orig]);
        (m as { forward: unknown }).forward = (...args: never[]) => {
          const out = orig.apply(m, args);
          // Layers may return a tensor, a tuple, or an object such as { output, hN }.
          const first = Array.isArray(out) ? out[0] : out instanceof Tensor ? out : (out as { output?: unknown } | null)?.output;
          if (first instanceof Tensor) shapes.set(m, `[${first.shape.join(', ')}]`);
          return out;
        };
      }
      try {
        const wasTraining = this.training;
        this.eval();
        noGrad(() => (this.forward as (x: Tensor) => unknown)(zeros(inputShape)));
        this.train(wasTraining);
      } finally {
        for (const [m, hadOwn, orig] of patched) {
          if (hadOwn) (m as { forward: unknown }).forward = orig;
          else delete (m as { forward?: unknown }).forward;
        }
      }
    }
    const rows: [string, string, string][] = [['Layer (type)', 'Output shape', 'Param #']];
    for (const [name, m] of named) {
      const own = m.ownEntries().filter((e) => e[1] instanceof Parameter).reduce((s, e) => s + (e[1] as Parameter).size, 0);
      const isLeaf = m.namedChildren().length === 0;
      if (!isLeaf && own === 0 && m !== this) continue;
      if (m === this && !isLeaf) continue;
      rows.push([`${name || '(root)'} (${m.constructor.name})`, shapes.get(m) ?? '-', own.toLocaleString('en-US')]);
    }
    const total = this.numParameters();
    const trainable = this.numParameters({ trainableOnly: true });
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: [string, string, string]) => `${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}`;
    const rule = '─'.repeat(w[0] + w[1] + w[2] + 4);
    return [
      `${this.constructor.name}`,
      rule, line(rows[0]), rule, ...rows.slice(1).map(line), rule,
      `Total params: ${total.toLocaleString('en-US')}`,
      `Trainable params: ${trainable.toLocaleString('en-US')}`,
      `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    ].join('\n');
  }
}
