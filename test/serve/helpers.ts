import { afterEach } from 'vitest';
import { Generator, Tensor } from '../../src/tensor/index';
import { Linear, ReLU, Sequential } from '../../src/nn/index';
import { createServer, type InferenceServer, type ServerOptions } from '../../src/serve/index';
import { OipClient } from './oip-client';

const running: InferenceServer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close({ timeoutMs: 2000 })));
});

/** Starts a real server on 127.0.0.1, port 0; it is closed after the test. */
export async function start(options: ServerOptions, headers: Record<string, string> = {}): Promise<{ server: InferenceServer; client: OipClient; base: string; port: number }> {
  const server = createServer({ log: () => undefined, ...options });
  running.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  return { server, client: new OipClient(base, headers), base, port };
}

/** A seeded MLP 3 → 4 → 2 in eval mode. */
export function mlp(seed = 1, inF = 3, hidden = 4, outF = 2): Sequential {
  const rng = new Generator(seed);
  return new Sequential(new Linear(inF, hidden, { rng }), new ReLU(), new Linear(hidden, outF, { rng })).eval();
}

/** The model's own output for rows of input, as a flat array. */
export function direct(model: { forward(x: Tensor): Tensor }, rows: number[][]): number[] {
  const x = new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
  return Array.from(model.forward(x).data);
}
