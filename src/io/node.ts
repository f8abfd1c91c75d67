import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Module } from '../nn/index';
import { ArgumentError, TensorkitError, type Tensor } from '../tensor/index';
import { describe } from '../tensor/shape';
import { writeFileAtomic } from './fs';
import { loadModel, saveModel, type LoadModelOptions, type LoadedModel, type Savable, type SaveModelOptions } from './model';
import { loadSafetensors, saveSafetensors, type SafetensorsContents, type TypedTensor } from './safetensors';

export {
  ModelRegistry, type ModelRegistryOptions, type RegistrySaveOptions, type ModelVersionInfo, type RegistryLoaded,
} from './registry';
export { openAuditLog } from './audit-file';

function toPath(p: string | URL, op: string): string {
  if (p instanceof URL) return fileURLToPath(p);
  if (typeof p !== 'string' || p === '') throw new ArgumentError(`${op}: path must be a non-empty string or a file: URL, got ${describe(p)}`);
  return p;
}

/**
 * Saves a model — any {@link Savable} — (and optionally its optimizer state) to a file with
 * {@link saveModel}, atomically: a temporary file in the same directory is written, fsynced and
 * renamed over `path`. Node only (entry `tensorkit/io/node`).
 * @example
 * // Node only, from 'tensorkit/io/node':
 * // await saveModelFile('model.safetensors', net, { optimizer: adam, metadata: { epoch: '10' } });
 * // const { model, optimizerState } = await loadModelFile('model.safetensors');
 * @throws ArgumentError as {@link saveModel}; TensorkitError `NOT_FOUND` naming the folder when it
 * does not exist; other file-system errors (EACCES, ENOSPC) are Node's own.
 * @category IO
 */
export async function saveModelFile(path: string | URL, model: Savable, options: SaveModelOptions = {}): Promise<void> {
  const p = toPath(path, 'saveModelFile');
  await writeFileAtomic(p, saveModel(model, options), 'saveModelFile');
}

/**
 * Reads a model file written by {@link saveModelFile} (or {@link saveModel}) and rebuilds it with
 * {@link loadModel}. Node only (entry `tensorkit/io/node`).
 * @example
 * // Node only: const { model } = await loadModelFile<MyNet>('model.safetensors', { registry: { MyNet } });
 * @throws FormatError as {@link loadModel}; TensorkitError `NOT_FOUND` when the file does not
 * exist; other file-system errors are Node's own.
 * @category IO
 */
export async function loadModelFile<M extends Savable = Module>(path: string | URL, options: LoadModelOptions = {}): Promise<LoadedModel<M>> {
  const p = toPath(path, 'loadModelFile');
  return loadModel<M>(await readExisting(p, 'loadModelFile'), options);
}

/** The file's bytes; a missing file is a typed `NOT_FOUND` naming it. */
async function readExisting(p: string, op: string): Promise<Uint8Array> {
  try {
    return await readFile(p);
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'ENOENT') throw new TensorkitError('NOT_FOUND', `${op}: no file ${p}`);
    throw e;
  }
}

/**
 * Writes tensors to a `.safetensors` file with {@link saveSafetensors}, atomically. Node only.
 * @example
 * // Node only: await saveSafetensorsFile('weights.safetensors', model.stateDict());
 * @throws ArgumentError as {@link saveSafetensors}.
 * @category IO
 */
export async function saveSafetensorsFile(path: string | URL, tensors: Record<string, Tensor | TypedTensor>, metadata?: Record<string, string>): Promise<void> {
  const p = toPath(path, 'saveSafetensorsFile');
  await writeFileAtomic(p, saveSafetensors(tensors, metadata), 'saveSafetensorsFile');
}

/**
 * Reads a `.safetensors` file (from tensorkit, PyTorch or anything else) with {@link loadSafetensors}.
 * Node only.
 * @example
 * // Node only: const { tensors } = await loadSafetensorsFile('model.safetensors');
 * @throws FormatError as {@link loadSafetensors}.
 * @category IO
 */
export async function loadSafetensorsFile(path: string | URL): Promise<SafetensorsContents> {
  const p = toPath(path, 'loadSafetensorsFile');
  return loadSafetensors(await readExisting(p, 'loadSafetensorsFile'));
}
