/**
 * WorkQueue: places = active + waiting; FIFO hand-over; a place given back without running frees it; a place given
 * back while its task waits or runs is counted once, and a running task keeps its slot until it ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError } from '../../src/errors.js';
import { WorkQueue, type Ticket } from '../../src/server/index.js';
import { seededRandom } from '../../src/util/random.js';

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

/** A task that runs until `finish()`; `running` counts the tasks running at once across a queue. */
function gatedTasks() {
  const counts = { running: 0, most: 0, started: [] as string[] };
  const gates = new Map<string, () => void>();
  const task = (name: string) => async () => {
    counts.started.push(name);
    counts.most = Math.max(counts.most, ++counts.running);
    await new Promise<void>((resolve) => gates.set(name, resolve));
    counts.running--;
    return name;
  };
  const finish = (name: string) => gates.get(name)!();
  return { counts, task, finish };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const abandoned = (error: unknown) => error instanceof RequestError && /abandoned/.test(error.message);

test('a ticket released while waiting leaves the queue once and its task never runs', async () => {
  const queue = new WorkQueue(1, 1);
  const { counts, task, finish } = gatedTasks();
  const a = queue.reserve().run(task('a'));
  const b = queue.reserve();
  const bRun = b.run(task('b'));
  await settle();
  b.release();
  b.release();
  // Told at once, not when a slot frees up: the request is gone.
  const outcome = await Promise.race([bRun.catch((error: unknown) => error), settle().then(() => 'pending')]);
  assert.ok(abandoned(outcome), String(outcome));
  assert.deepEqual(queue.state, { active: 1, waiting: 0, maxActive: 1, maxWaiting: 1 });
  const c = queue.reserve().run(task('c'));
  finish('a');
  await settle();
  finish('c');
  assert.deepEqual(await Promise.all([a, c]), ['a', 'c']);
  assert.deepEqual(counts.started, ['a', 'c']);
  assert.deepEqual(queue.state, { active: 0, waiting: 0, maxActive: 1, maxWaiting: 1 });
  // Exactly the queue's places are free again: no place counted twice.
  queue.reserve();
  queue.reserve();
  assert.throws(() => queue.reserve(), /busy/);
});

test('a ticket released while running keeps its slot until its task ends', async () => {
  const queue = new WorkQueue(1, 1);
  const { counts, task, finish } = gatedTasks();
  const a = queue.reserve();
  const aRun = a.run(task('a'));
  const bRun = queue.reserve().run(task('b'));
  await settle();
  let idle = false;
  void queue.whenIdle().then(() => (idle = true));
  a.release();
  await settle();
  assert.deepEqual(counts.started, ['a'], 'the waiting task does not start beside the released one');
  assert.deepEqual(queue.state, { active: 1, waiting: 1, maxActive: 1, maxWaiting: 1 });
  assert.throws(() => queue.reserve(), /busy/);
  finish('a');
  assert.equal(await aRun, 'a');
  await settle();
  finish('b');
  assert.ok(!idle, 'a task still runs');
  assert.equal(await bRun, 'b');
  await settle();
  assert.ok(idle, 'no task runs');
  assert.equal(counts.most, 1);
  assert.deepEqual(queue.state, { active: 0, waiting: 0, maxActive: 1, maxWaiting: 1 });
});

test('a ticket released before it runs refuses to run; a ticket runs once', async () => {
  const queue = new WorkQueue(1, 0);
  const gone = queue.reserve();
  gone.release();
  await assert.rejects(
    gone.run(async () => 1),
    abandoned,
  );
  const once = queue.reserve();
  await once.run(async () => 1);
  await assert.rejects(
    once.run(async () => 2),
    /runs once/,
  );
  assert.deepEqual(queue.state, { active: 0, waiting: 0, maxActive: 1, maxWaiting: 0 });
});

test('random reserves, runs, releases and ends: the counts stay within the limits and return to zero', async () => {
  const rng = seededRandom(5);
  const queue = new WorkQueue(2, 3);
  const { counts, task, finish } = gatedTasks();
  const tickets: Array<{ name: string; ticket: Ticket; ran: boolean }> = [];
  const runs: Promise<unknown>[] = [];
  const ended = new Set<string>();
  const endOne = (choice: number) => {
    const unfinished = counts.started.filter((name) => !ended.has(name));
    const name = unfinished[Math.floor(choice * unfinished.length)];
    if (name === undefined) return false;
    ended.add(name);
    finish(name);
    return true;
  };
  for (let step = 0; step < 2000; step++) {
    const pick = tickets[Math.floor(rng() * tickets.length)];
    const action = rng();
    if (action < 0.3) {
      const { active, waiting } = queue.state;
      try {
        tickets.push({ name: String(step), ticket: queue.reserve(), ran: false });
      } catch {
        assert.equal(active + waiting, 5, `step ${step}: refused only when every place is taken`);
      }
    } else if (action < 0.55 && pick && !pick.ran) {
      pick.ran = true;
      runs.push(pick.ticket.run(task(pick.name)).catch((error) => assert.ok(abandoned(error))));
    } else if (action < 0.75 && pick) {
      pick.ticket.release();
    } else {
      endOne(rng());
    }
    await settle();
    const { active, waiting } = queue.state;
    assert.equal(active, counts.running, `step ${step}: active counts the tasks running`);
    assert.ok(active <= 2, `step ${step}: ${active} running`);
    // Places reserved but not yet running count as waiting: the bound is on the places.
    assert.ok(waiting >= 0 && active + waiting <= 5, `step ${step}: ${waiting} waiting`);
  }
  for (const { ticket } of tickets) ticket.release();
  while (endOne(0)) await settle();
  await Promise.all(runs);
  assert.equal(counts.most, 2);
  assert.deepEqual(queue.state, { active: 0, waiting: 0, maxActive: 2, maxWaiting: 3 });
});
