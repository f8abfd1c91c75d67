import { ArgumentError, ShapeError, Tensor, add, crossEntropy, logSoftmax, mul, noGrad, type Indices } from '../tensor/index';
import { fmtShape } from '../tensor/errors';
import { badValue, checkArg, instanceOf, parseOptions, positive, prob } from '../tensor/options';
import { klDiv } from '../nn/index';
import { Module, type ModuleConfig } from '../nn/index';

/** Options of {@link distillationLoss} and {@link Distiller}. */
export interface DistillationOptions {
  /** T > 0: both logits are divided by it before the softmax; larger T gives softer targets (default 1). */
  temperature?: number;
  /** α in [0, 1], the weight of the distillation term; 1 − α weighs the cross-entropy with the labels (default 0.5). */
  alpha?: number;
}

const SPEC = { temperature: positive, alpha: prob };

/**
 * Knowledge distillation loss (Hinton, Vinyals & Dean, 2015):
 * L = α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·crossEntropy(s, target), the KL averaged
 * over the batch (PyTorch's `kl_div(logSoftmax(s/T), softmax(t/T), reduction='batchmean')`). T²
 * keeps the soft term's gradient on the scale of the hard one as T changes. The teacher's logits
 * are detached: only the student gets a gradient.
 * Shapes: studentLogits and teacherLogits (N, C); target (N) class indices, or (N, C)
 * probabilities (as {@link crossEntropy}); out ().
 * Gradient: d/ds = (α·T/N)·(softmax(s/T) − softmax(t/T)) + (1 − α)·d crossEntropy/ds.
 * @example
 * // equal logits: the KL term is 0, leaving (1 − α)·ln 2
 * distillationLoss(tensor([[0, 0]]), tensor([[0, 0]]), [1], { temperature: 2, alpha: 0.5 }).item(); // 0.34657359
 * @throws ShapeError if the logits are not (N, C) of one shape; ArgumentError for a temperature ≤ 0
 * or an alpha outside [0, 1]; the target's errors as {@link crossEntropy}'s.
 * @see Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network", 2015.
 * @category Distillation
 */
export function distillationLoss(studentLogits: Tensor, teacherLogits: Tensor, target: Indices, options: DistillationOptions = {}): Tensor {
  const op = 'distillationLoss';
  const { temperature, alpha } = { temperature: 1, alpha: 0.5, ...parseOptions(op, options, SPEC) };
  checkArg(op, 'studentLogits', studentLogits, instanceOf(Tensor));
  checkArg(op, 'teacherLogits', teacherLogits, instanceOf(Tensor));
  if (studentLogits.ndim !== 2) throw new ShapeError(`${op}: studentLogits ${fmtShape(studentLogits.shape)} must be (N, C)`);
  if (fmtShape(studentLogits.shape) !== fmtShape(teacherLogits.shape)) {
    throw new ShapeError(`${op}: studentLogits ${fmtShape(studentLogits.shape)} and teacherLogits ${fmtShape(teacherLogits.shape)} must have the same shape (N, C)`);
  }
  const inv = 1 / temperature;
  const soft = alpha === 0 ? null : mul(klDiv(logSoftmax(mul(studentLogits, inv), 1), logSoftmax(mul(teacherLogits.detach(), inv), 1), { reduction: 'batchmean', logTarget: true }), alpha * temperature * temperature);
  const hard = alpha === 1 ? null : mul(crossEntropy(studentLogits, target), 1 - alpha);
  return soft === null ? hard! : hard === null ? soft : add(soft, hard);
}

/** Options of {@link Distiller}. */
export type DistillerOptions = DistillationOptions;

/**
 * Trains a student against a frozen teacher with `fit`: a Module wrapping the student whose
 * `forward(x)` returns the student's logits (so `fit`'s metrics and validation see the student)
 * and also runs the teacher on the same batch, in eval mode under `noGrad`; its `loss` (pass it as
 * `fit`'s `loss`) is {@link distillationLoss} of that output against the teacher's logits of that
 * batch and the labels. Only the student is a child: `distiller.parameters()` are the student's,
 * `train()`/`eval()` reach only the student, and the teacher never changes. Save
 * `distiller.student`, not the distiller.
 * Shapes: both models map a batch (N, …) to logits (N, C); targets (N) class indices.
 * @example
 * const teacher = new Linear(4, 3, { rng: new Generator(1) }), student = new Linear(4, 3, { rng: new Generator(2) });
 * const d = new Distiller(student, teacher, { temperature: 2, alpha: 0.9 });
 * const x = randn([8, 4], { rng: new Generator(3) }), y = tensor([0, 1, 2, 0, 1, 2, 0, 1]);
 * const h = await fit(d, { data: [[x, y]], loss: d.loss, optimizer: new SGD(d.parameters(), { lr: 0.1 }), epochs: 20 });
 * h.history.loss[19] < h.history.loss[0]; // true
 * d.parameters().length; // 2
 * @throws ArgumentError if student or teacher is not a Module, or for bad options.
 * @category Distillation
 */
export class Distiller extends Module {
  /** The model being trained. */
  readonly student: Module;
  /** The frozen teacher (not a child: not in `parameters()` nor in state dicts). */
  declare readonly teacher: Module;
  /** T. */
  readonly temperature: number;
  /** α. */
  readonly alpha: number;
  /**
   * The loss for `fit`: `(studentLogits, target) → distillationLoss(studentLogits, teacherLogits,
   * target, { temperature, alpha })`, with the teacher's logits of the batch of the last forward.
   * @throws ArgumentError if called on anything but the last output of `forward`.
   */
  declare readonly loss: (studentLogits: Tensor, target: Tensor) => Tensor;

  constructor(student: Module, teacher: Module, options: DistillerOptions = {}) {
    super();
    const op = 'Distiller';
    this.student = checkArg(op, 'student', student, instanceOf(Module));
    checkArg(op, 'teacher', teacher, instanceOf(Module));
    if (teacher === student) throw new ArgumentError(`${op}: the teacher and the student must be two models`);
    const { temperature, alpha } = { temperature: 1, alpha: 0.5, ...parseOptions(op, options, SPEC) };
    this.temperature = temperature;
    this.alpha = alpha;
    let last: { out: Tensor; teacher: Tensor } | null = null;
    const loss = (studentLogits: Tensor, target: Tensor): Tensor => {
      if (last === null || studentLogits !== last.out) {
        throw new ArgumentError('Distiller.loss: studentLogits must be the output of the last distiller.forward(x) (pass distiller to fit and distiller.loss as its loss)');
      }
      return distillationLoss(studentLogits, last.teacher, target, { temperature, alpha });
    };
    const forward = (x: Tensor): Tensor => {
      const wasTraining = teacher.training;
      teacher.eval();
      let t: unknown;
      try {
        t = noGrad(() => (teacher.forward as (x: Tensor) => unknown)(x));
      } finally {
        teacher.train(wasTraining);
      }
      if (!(t instanceof Tensor)) throw badValue(op, 'teacher.forward(x)', 'a Tensor', t);
      const out: unknown = (this.student.forward as (x: Tensor) => unknown)(x);
      if (!(out instanceof Tensor)) throw badValue(op, 'student.forward(x)', 'a Tensor', out);
      last = { out, teacher: t };
      return out;
    };
    // Non-enumerable, so reflection sees neither the teacher nor the closures.
    Object.defineProperty(this, 'teacher', { value: teacher, enumerable: false });
    Object.defineProperty(this, 'loss', { value: loss, enumerable: false });
    Object.defineProperty(this, 'run', { value: forward, enumerable: false });
  }

  /**
   * Not savable: a distiller is a training harness around the student, and its teacher is not part
   * of its state. Save `distiller.student`.
   * @throws ArgumentError always (so `saveModel(distiller)` says what to save instead).
   */
  override config(): ModuleConfig {
    throw new ArgumentError('Distiller: a distiller is not saved; save distiller.student (the trained model) instead');
  }

  /** The student's logits for `x`; the teacher's logits of `x` are kept for {@link Distiller.loss}. */
  forward(x: Tensor): Tensor {
    return (this as unknown as { run: (x: Tensor) => Tensor }).run(x);
  }
}
