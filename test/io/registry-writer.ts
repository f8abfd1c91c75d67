/**
 * A second process for test/io/registry.test.ts: saves `count` versions of model `name` into the
 * registry at `root`, as fast as it can, to race the test process's own writers.
 * Usage: node --import tsx test/io/registry-writer.ts <root> <name> <count> <tag>
 */
import { ModelRegistry } from '../../src/io/node';
import { Linear } from '../../src/nn/index';

const [root, name, count, tag] = process.argv.slice(2);
const reg = new ModelRegistry(root, { lockTimeoutMs: 30_000 });
for (let i = 0; i < Number(count); i++) {
  const m = new Linear(2, 2);
  m.bias!.data.fill(process.pid + i);
  await reg.save(name, m, { tags: [tag], metrics: { pid: process.pid, i } });
}
