/**
 * One rank of test/engine/distributed-agreement.test.ts, run as its own process:
 *   tsx distributed-agreement-rank.ts SCENARIO RANK WORLD PORT TIMEOUT_MS
 * The ranks hand collectives tensors that disagree; it prints one JSON line: the error each collective gave (or
 * none), the tensor afterwards, and whether the group still works.
 */
import { ops as F } from '../../src/engine/index.js';
import type { Tensor } from '../../src/engine/index.js';
import { ProcessGroup } from '../../src/engine/distributed.js';
import type { DistributedError } from '../../src/errors.js';

const [scenario, rankText, worldText, portText, timeoutText] = process.argv.slice(2);
const rank = Number(rankText);

const report = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

const errorOf = (run: () => void) => {
  try {
    run();
    return undefined;
  } catch (error) {
    const e = error as DistributedError;
    return { name: e.name, message: e.message };
  }
};

const scenarios: Record<string, (group: ProcessGroup) => { error: unknown; tensor: Tensor }> = {
  /** 4 elements against 4096: Gloo aborted the process on the longer message. */
  sizes(group) {
    const tensor = F.ones([rank === 0 ? 4 : 4096]);
    return { error: errorOf(() => group.allReduce([tensor])), tensor };
  },
  dtypes(group) {
    const tensor = rank === 0 ? F.ones([4]) : F.ones([4], 'float64');
    return { error: errorOf(() => group.allReduce([tensor])), tensor };
  },
  /** A root with fewer elements than the receiver left the receiver partly overwritten. */
  broadcast(group) {
    const tensor = F.full([rank === 0 ? 3 : 5], rank + 1);
    return { error: errorOf(() => group.broadcast([tensor], 0)), tensor };
  },
  /** 'mean' of int64 summed in place, then threw. */
  intMean(group) {
    const tensor = F.tensor(new BigInt64Array([1n, 2n]));
    return { error: errorOf(() => group.allReduce([tensor], 'mean')), tensor };
  },
  /** A fractional or NaN root was read as rank 0. */
  badRoot(group) {
    const tensor = F.full([3], rank + 1);
    return { error: errorOf(() => group.broadcast([tensor], rank === 0 ? NaN : 0.7)), tensor };
  },
};

try {
  const group = ProcessGroup.init({
    rank,
    worldSize: Number(worldText),
    masterAddr: '127.0.0.1',
    masterPort: Number(portText),
    timeoutMs: Number(timeoutText),
  });
  const { error, tensor } = scenarios[scenario!]!(group);
  const values = Array.from(tensor.data() as ArrayLike<number | bigint>, Number);
  // The group still works after the refusal: a matching all-reduce goes through.
  const check = F.ones([2]);
  group.allReduce([check]);
  report({ error, values, after: [...check.data()] });
  group.destroy();
} catch (error) {
  const e = error as Error;
  report({ fatal: e.name, message: e.message });
}
