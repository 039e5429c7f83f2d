/**
 * One rank of a process-group test (test/engine/distributed.test.ts), run as its own process:
 *   tsx distributed-rank.ts SCENARIO RANK WORLD PORT TIMEOUT_MS
 * It prints one JSON line: what it computed, or the error it got ({ error: name, failure, message, ms }).
 */
import { ops as F } from '../../src/engine/index.js';
import { ProcessGroup } from '../../src/engine/distributed.js';
import type { DistributedError } from '../../src/errors.js';

const [scenario, rankText, worldText, portText, timeoutText] = process.argv.slice(2);
const rank = Number(rankText);
const worldSize = Number(worldText);

/** Sleeps without spinning a core (the machine is shared). */
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const report = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

const scenarios: Record<string, (group: ProcessGroup) => unknown> = {
  /** Sum and mean of tensors of several shapes, broadcast from the last rank, barrier. */
  collectives(group) {
    const a = F.tensor(Float32Array.from([1, 2, 3, 4, 5, 6].map((v) => v * (rank + 1))), [2, 3]);
    const b = F.tensor(Float64Array.from([rank, -rank]), [2]);
    const c = F.tensor(Float32Array.from([10 + rank]), [1]);
    group.allReduce([a, c], 'sum');
    group.allReduce([b], 'mean');
    const d = F.tensor(Float32Array.from([rank, rank * 2, rank * 3]), [3]);
    group.broadcast([d], worldSize - 1);
    group.barrier();
    return {
      sum: [...a.data()],
      sumScalar: [...c.data()],
      mean: [...b.data<'float64'>()],
      broadcast: [...d.data()],
    };
  },
  /** The last rank stops answering (sleeps past the timeout); the others wait in a barrier. */
  hang(group) {
    if (rank === worldSize - 1) {
      sleep(Number(timeoutText) * 4);
      return { slept: true };
    }
    group.barrier();
    return { passed: true };
  },
  /** The last rank is killed (SIGKILL) after one all-reduce; the others go on all-reducing. */
  kill(group) {
    const x = F.tensor(Float32Array.from([1]), [1]);
    group.allReduce([x]);
    if (rank === worldSize - 1) process.kill(process.pid, 'SIGKILL');
    for (let i = 0; i < 1000; i++) {
      group.allReduce([x]);
      sleep(10);
    }
    return { survived: true };
  },
};

const started = Date.now();
try {
  const group = ProcessGroup.init({
    rank,
    worldSize,
    masterAddr: '127.0.0.1',
    masterPort: Number(portText),
    timeoutMs: Number(timeoutText),
  });
  report(scenarios[scenario!]!(group));
  group.destroy();
} catch (error) {
  const e = error as DistributedError;
  report({ error: e.name, failure: e.failure, message: e.message, ms: Date.now() - started });
}
