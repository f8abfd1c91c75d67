import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Module } from '../nn/index';
import { ArgumentError, type Tensor } from '../tensor/index';
import { writeFileAtomic } from './fs';
import { loadModel, saveModel, type LoadModelOptions, type LoadedModel, type SaveModelOptions } from './model';
import { loadSafetensors, saveSafetensors, type SafetensorsContents, type TypedTensor } from './safetensors';

export {
  ModelRegistry, type ModelRegistryOptions, type RegistrySaveOptions, type ModelVersionInfo, type RegistryLoaded,
} from './registry';

function toPath(p: string | URL, op: string): string {
  if (p instanceof URL) return fileURLToPath(p);
  if (typeof p !== 'string' || p === '') throw new ArgumentError(`${op}: path must be a non-empty string or a file: URL, got ${p === '' ? 'an empty string' : typeof p}`);
  return p;
}

/**
 * Saves a model (and optionally its optimizer state) to a file with {@link saveModel}, atomically:
 * a temporary file in the same directory is written, fsynced and renamed over `path`. Node only
 * (entry `tensorkit/io/node`).
 * @example
 * // Node only, from 'tensorkit/io/node':
 * // await saveModelFile('model.safetensors', net, { optimizer: adam, metadata: { epoch: '10' } });
 * // const { model, optimizerState } = await loadModelFile('model.safetensors');
 * @throws ArgumentError as {@link saveModel}; file-system errors (EACCES, ENOSPC) are Node's own.
 * @category IO
 */
export async function saveModelFile(path: string | URL, model: Module, options: SaveModelOptions = {}): Promise<void> {
  const p = toPath(path, 'saveModelFile');
  await writeFileAtomic(p, saveModel(model, options));
}

/**
 * Reads a model file written by {@link saveModelFile} (or {@link saveModel}) and rebuilds it with
 * {@link loadModel}. Node only (entry `tensorkit/io/node`).
 * @example
 * // Node only: const { model } = await loadModelFile('model.safetensors', { registry: { MyNet: (o) => new MyNet(o) } });
 * @throws FormatError as {@link loadModel}; file-system errors (ENOENT) are Node's own.
 * @category IO
 */
export async function loadModelFile(path: string | URL, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const p = toPath(path, 'loadModelFile');
  return loadModel(await readFile(p), options);
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
  await writeFileAtomic(p, saveSafetensors(tensors, metadata));
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
  return loadSafetensors(await readFile(p));
}
