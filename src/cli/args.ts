import { ArgumentError } from '../tensor/index';

/** A flag of a command: its value kind, and its help line. */
export interface FlagSpec {
  kind: 'string' | 'int' | 'bool';
  help: string;
  min?: number;
  max?: number;
}

/**
 * Parses `--name value`, `--name=value` and bare boolean `--name` flags against `spec`. Every
 * error is an ArgumentError worded `<command>: <what>`, printed without a stack trace by the CLI.
 */
export function parseFlags(command: string, argv: readonly string[], spec: Record<string, FlagSpec>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new ArgumentError(`${command}: unexpected argument ${JSON.stringify(a)} (flags start with --; see --help)`);
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (!Object.hasOwn(spec, name)) {
      throw new ArgumentError(`${command}: unknown flag --${name} (it takes ${Object.keys(spec).map((k) => `--${k}`).join(', ')})`);
    }
    const s = spec[name];
    if (s.kind === 'bool') {
      if (eq >= 0) throw new ArgumentError(`${command}: --${name} takes no value`);
      out[name] = true;
      continue;
    }
    let v: string;
    if (eq >= 0) v = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new ArgumentError(`${command}: --${name} needs a value`);
      v = argv[++i];
    }
    if (s.kind === 'int') {
      const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
      const lo = s.min ?? -Infinity, hi = s.max ?? Infinity;
      if (!Number.isSafeInteger(n) || n < lo || n > hi) {
        const range = Number.isFinite(hi) ? `an integer in [${lo}, ${hi}]` : `an integer ≥ ${lo}`;
        throw new ArgumentError(`${command}: --${name} must be ${range}, got ${JSON.stringify(v)}`);
      }
      out[name] = n;
    } else {
      if (v === '') throw new ArgumentError(`${command}: --${name} must not be empty`);
      out[name] = v;
    }
  }
  return out;
}

/** The help text of a command's flags. */
export function flagHelp(spec: Record<string, FlagSpec>): string {
  const width = Math.max(...Object.keys(spec).map((k) => k.length + (spec[k].kind === 'bool' ? 2 : 8)));
  return Object.entries(spec)
    .map(([k, s]) => `  ${`--${k}${s.kind === 'bool' ? '' : ` <${s.kind === 'int' ? 'n' : 'v'}>`}`.padEnd(width + 2)}  ${s.help}`)
    .join('\n');
}
