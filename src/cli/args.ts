import { ArgumentError } from '../tensor/index';

/** A flag of a command: its value kind, and its help line. */
export interface FlagSpec {
  kind: 'string' | 'int' | 'number' | 'bool';
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
    } else if (s.kind === 'number') {
      const n = NUMBER.test(v.trim()) ? Number(v) : NaN;
      const lo = s.min ?? -Infinity, hi = s.max ?? Infinity;
      if (!Number.isFinite(n) || n < lo || n > hi) {
        throw new ArgumentError(`${command}: --${name} must be a number in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
      }
      out[name] = n;
    } else {
      if (v === '') throw new ArgumentError(`${command}: --${name} must not be empty`);
      out[name] = v;
    }
  }
  return out;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Splits a command's arguments into its positional arguments (at most `max`, at least `min`, named
 * by `names` in the error) and its flags (parsed by {@link parseFlags}). A token after a flag that
 * takes a value (`--epochs 5`) is that value, not a positional argument.
 * @throws ArgumentError for too few or too many positional arguments, or a bad flag.
 */
export function parseCommand(
  command: string, argv: readonly string[], spec: Record<string, FlagSpec>, names: readonly string[], min = names.length,
): { args: string[]; flags: Record<string, string | number | boolean> } {
  const args: string[] = [], flagArgv: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      args.push(a);
      continue;
    }
    flagArgv.push(a);
    const name = a.slice(2);
    if (!a.includes('=') && Object.hasOwn(spec, name) && spec[name].kind !== 'bool' && i + 1 < argv.length) flagArgv.push(argv[++i]);
  }
  const flags = parseFlags(command, flagArgv, spec);
  if (flags.help === true) return { args, flags };
  if (args.length < min) throw new ArgumentError(`${command}: missing ${names.slice(args.length, min).join(' and ')} (see tensorkit ${command} --help)`);
  if (args.length > names.length) throw new ArgumentError(`${command}: unexpected argument ${JSON.stringify(args[names.length])} (it takes ${names.join(' ') || 'no positional arguments'}; see --help)`);
  return { args, flags };
}

/** The help text of a command's flags. */
export function flagHelp(spec: Record<string, FlagSpec>): string {
  const width = Math.max(...Object.keys(spec).map((k) => k.length + (spec[k].kind === 'bool' ? 2 : 8)));
  return Object.entries(spec)
    .map(([k, s]) => `  ${`--${k}${s.kind === 'bool' ? '' : ` <${s.kind === 'int' || s.kind === 'number' ? 'n' : 'v'}>`}`.padEnd(width + 2)}  ${s.help}`)
    .join('\n');
}
