/** WorkQueue: places = active + waiting; FIFO hand-over; a place given back without running frees it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError } from '../../src/errors.js';
import { WorkQueue } from '../../src/server/index.js';

test('the queue runs at most maxActive tasks, in arrival order, and refuses beyond its places', async () => {
  const queue = new WorkQueue(1, 2);
  const order: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const [a, b, c] = [queue.reserve(), queue.reserve(), queue.reserve()];
  assert.throws(
    () => queue.reserve(),
    (error: unknown) =>
      error instanceof RequestError && error.status === 503 && /busy: 3 requests/.test(error.message),
  );
  const runs = [
    a.run(async () => (await gate, order.push('a'))),
    b.run(async () => order.push('b')),
    c.run(async () => order.push('c')),
  ];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(queue.state, { active: 1, waiting: 2, maxActive: 1, maxWaiting: 2 });
  open();
  await Promise.all(runs);
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.deepEqual(queue.state, { active: 0, waiting: 0, maxActive: 1, maxWaiting: 2 });
});

test('a failing task and an unused ticket both give their place back', async () => {
  const queue = new WorkQueue(1, 0);
  await assert.rejects(
    queue.reserve().run(async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  const unused = queue.reserve();
  unused.release();
  unused.release();
  assert.equal(await queue.reserve().run(async () => 7), 7);
  assert.deepEqual(queue.state, { active: 0, waiting: 0, maxActive: 1, maxWaiting: 0 });
  assert.throws(() => new WorkQueue(0, 1), /maxActive must be >= 1/);
});
