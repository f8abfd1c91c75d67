import { ArgumentError } from '../tensor/errors';
import { finite, isPlainObject, object, parseOptions, str, type Check } from '../tensor/options';
import { describe } from '../tensor/shape';
import type { AuditRecord } from './audit';
import type { FitAuditDetails } from './audit-callback';

/** What {@link modelCard} writes beside the training record. @category IO */
export interface ModelCardOptions {
  /** The card's title (default: the model's name, or its architecture's type). */
  title?: string;
  /** What the model is for, and who should use it. */
  intendedUse?: string;
  /** Where it must not be used, known failure modes. */
  limitations?: string;
  /** Where the training data came from (the record only carries its fingerprint). */
  data?: string;
  /** Held-out evaluation results, by name (they go beside the training metrics of the record). */
  evaluation?: Record<string, number>;
  /** Feature attributions (e.g. permutation importances), by feature name; listed largest first. */
  explanations?: Record<string, number>;
  /** The differential-privacy budget the model was trained under. */
  privacy?: {
    /** ε of the (ε, δ) guarantee. */
    epsilon: number;
    /** δ of the (ε, δ) guarantee. */
    delta: number;
    /** σ of DP-SGD's Gaussian noise, in units of maxGradNorm. */
    noiseMultiplier?: number;
    /** The per-sample gradient norm bound C. */
    maxGradNorm?: number;
  };
  /** More sections: heading → Markdown text. */
  sections?: Record<string, string>;
}

const numbers: Check<Record<string, number>> = (v, name, op) => {
  const o = object(v, name, op);
  for (const [k, x] of Object.entries(o)) finite(x, `${name}.${k}`, op);
  return o as Record<string, number>;
};
const strings: Check<Record<string, string>> = (v, name, op) => {
  const o = object(v, name, op);
  for (const [k, x] of Object.entries(o)) str(x, `${name}.${k}`, op);
  return o as Record<string, string>;
};
const privacy: Check<NonNullable<ModelCardOptions['privacy']>> = (v, name, op) => {
  const p = parseOptions(op, v, { epsilon: finite, delta: finite, noiseMultiplier: finite, maxGradNorm: finite });
  if (p.epsilon === undefined || p.delta === undefined) throw new ArgumentError(`${op}: ${name} needs epsilon and delta, got ${describe(v)}`);
  return p as NonNullable<ModelCardOptions['privacy']>;
};
const SPEC = {
  title: str, intendedUse: str, limitations: str, data: str, evaluation: numbers, explanations: numbers, privacy, sections: strings,
};

/** A Markdown table cell: pipes and newlines escaped. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString());

/**
 * A Markdown model card (Mitchell et al. 2019's headings, trimmed) from the `fit` record an
 * {@link AuditCallback} appended: model details (architecture, optimizer, library version, model
 * hash, record hash), intended use and limitations, training data (description and
 * fingerprint), metrics (training and evaluation), explanations, privacy budget.
 * @example
 * // const card = modelCard(callback.lastRecord!, { intendedUse: 'Digit recognition on scanned forms', evaluation: { accuracy: 0.981 } });
 * @throws ArgumentError when `record` is not a `fit` record, or for malformed options.
 * @category IO
 */
export function modelCard(record: AuditRecord, options: ModelCardOptions = {}): string {
  const op = 'modelCard';
  if (!isPlainObject(record) || record.action !== 'fit' || !isPlainObject(record.details)) {
    throw new ArgumentError(`${op}: record must be the 'fit' record of an AuditCallback, got ${describe(record)}`);
  }
  const o = parseOptions(op, options, SPEC);
  const d = record.details as unknown as FitAuditDetails;
  const arch = isPlainObject(d.architecture) && typeof d.architecture.type === 'string' ? d.architecture.type : 'model';
  const out: string[] = [`# ${o.title ?? d.model ?? arch}`, ''];
  const row = (k: string, v: string) => out.push(`| ${cell(k)} | ${cell(v)} |`);
  out.push('## Model details', '', '| | |', '|---|---|');
  row('architecture', arch);
  row('optimizer', `${d.optimizer?.type ?? '?'} (final lr ${fmt(d.optimizer?.lr ?? NaN)})`);
  row('epochs', `${d.epochs?.run ?? '?'} of ${d.epochs?.planned ?? '?'}${d.epochs?.stopReason ? ` (stopped: ${d.epochs.stopReason})` : ''}`);
  if (d.seed !== null && d.seed !== undefined) row('seed', String(d.seed));
  row('trained', `${record.time} by ${record.actor}`);
  row('library', `tensorkit ${d.libraryVersion}`);
  row('model hash', `\`${d.modelHash}\``);
  row('audit record', `#${record.seq}, \`${record.hash}\``);
  out.push('');
  out.push('## Intended use', '', o.intendedUse ?? '_Not stated._', '');
  out.push('## Limitations', '', o.limitations ?? '_Not stated._', '');
  out.push('## Training data', '', o.data ?? '_Not described._', '');
  if (d.data) out.push(`Fingerprint: \`${d.data}\``, '');
  const metricRows = [...Object.entries(d.metrics ?? {}).map(([k, v]) => ['training', k, v] as const), ...Object.entries(o.evaluation ?? {}).map(([k, v]) => ['evaluation', k, v] as const)];
  if (metricRows.length > 0) {
    out.push('## Metrics', '', '| set | metric | value |', '|---|---|---:|');
    for (const [set, k, v] of metricRows) out.push(`| ${set} | ${cell(k)} | ${fmt(v)} |`);
    out.push('');
  }
  if (o.explanations !== undefined) {
    out.push('## Explanations', '', '| feature | attribution |', '|---|---:|');
    for (const [k, v] of Object.entries(o.explanations).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))) out.push(`| ${cell(k)} | ${fmt(v)} |`);
    out.push('');
  }
  if (o.privacy !== undefined) {
    const p = o.privacy;
    out.push('## Privacy', '', `Trained with differential privacy: ε = ${fmt(p.epsilon)} at δ = ${p.delta}` +
      `${p.noiseMultiplier === undefined ? '' : `, noise multiplier ${fmt(p.noiseMultiplier)}`}${p.maxGradNorm === undefined ? '' : `, per-sample gradient norm clipped to ${fmt(p.maxGradNorm)}`}.`, '');
  }
  for (const [h, text] of Object.entries(o.sections ?? {})) out.push(`## ${h}`, '', text, '');
  return out.join('\n');
}
