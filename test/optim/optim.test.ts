/** Optimisers and schedules against PyTorch reference values (test/fixtures/engine/make_optim_fixture.py). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ops as F, scope } from '../../src/engine/index.js';
import { Module, type Parameter } from '../../src/nn/index.js';
import {
  AdamW,
  SGD,
  clipGradNorm,
  cosineWithWarmup,
  oneCycle,
  type Optimizer,
  type ParamGroup,
} from '../../src/optim/index.js';
import { assertClose, readJson } from '../helpers/tensors.js';

interface OptimFixture {
  w0: number[];
  target: number[];
  sgd_nesterov: number[];
  sgd_dampening: number[];
  adamw: number[];
  one_cycle: number[];
  adamw_late_param: { a: number[]; b: number[] };
}
const fixture = readJson<OptimFixture>('test/fixtures/engine/optim.json');

class Holder extends Module {
  readonly w: Parameter;
  constructor(values: number[]) {
    super();
    this.w = this.registerParameter('w', F.tensor(Float64Array.from(values), [4, 3]));
  }
}

function runSteps(
  makeOptimizer: (groups: ParamGroup[]) => Optimizer,
  lr: number,
  weightDecay: number,
): Holder {
  const holder = new Holder(fixture.w0);
  const optimizer = makeOptimizer([{ params: [holder.w], lr, weightDecay }]);
  scope(() => {
    const target = F.tensor(Float64Array.from(fixture.target), [4, 3]);
    for (let i = 0; i < 4; i++) {
      optimizer.zeroGrad();
      F.sum(F.abs(F.pow(F.sub(holder.w, target), 3))).backward();
      optimizer.step();
    }
  });
  optimizer.dispose();
  return holder;
}

test('SGD with Nesterov momentum and weight decay matches torch.optim.SGD', () => {
  const h = runSteps((g) => new SGD(g, { momentum: 0.9, nesterov: true }), 0.05, 0.01);
  assertClose(h.w, fixture.sgd_nesterov, 'w', 1e-12, 1e-10);
  h.dispose();
});

test('SGD with momentum and dampening matches torch.optim.SGD', () => {
  const h = runSteps((g) => new SGD(g, { momentum: 0.8, dampening: 0.3 }), 0.05, 0);
  assertClose(h.w, fixture.sgd_dampening, 'w', 1e-12, 1e-10);
  h.dispose();
});

test('AdamW matches torch.optim.AdamW', () => {
  const h = runSteps((g) => new AdamW(g, { betas: [0.8, 0.99] }), 0.03, 0.1);
  assertClose(h.w, fixture.adamw, 'w', 1e-12, 1e-10);
  h.dispose();
});

class Pair extends Module {
  readonly a: Parameter;
  readonly b: Parameter;
  constructor(values: number[]) {
    super();
    this.a = this.registerParameter('a', F.tensor(Float64Array.from(values), [4, 3]));
    this.b = this.registerParameter('b', F.tensor(Float64Array.from(values), [4, 3]));
  }
}

/** AdamW over a and b, where b has no gradient on its first two steps (torch's adamw_late_param). */
function lateParamRun(resumeAfter: number | null, dropSteps = false): Pair {
  const pair = new Pair(fixture.w0);
  const make = () =>
    new AdamW([{ params: [pair.a, pair.b], lr: 0.03, weightDecay: 0.1 }], { betas: [0.8, 0.99] });
  let optimizer = make();
  for (let step = 0; step < 4; step++) {
    if (step === resumeAfter) {
      const saved = optimizer.savedState();
      if (dropSteps) for (const key of [...saved.keys()]) if (key.endsWith('.step')) saved.delete(key);
      const steps = optimizer.stepCount;
      optimizer.dispose();
      optimizer = make();
      optimizer.loadState(saved, steps, 'saved');
    }
    scope(() => {
      const target = F.tensor(Float64Array.from(fixture.target), [4, 3]);
      const cube = (p: Parameter) => F.sum(F.abs(F.pow(F.sub(p, target), 3)));
      optimizer.zeroGrad();
      (step >= 2 ? F.add(cube(pair.a), cube(pair.b)) : cube(pair.a)).backward();
      optimizer.step();
    });
  }
  optimizer.dispose();
  return pair;
}

test('AdamW: a parameter without gradients on its first steps is bias-corrected by its own steps, as torch', () => {
  const pair = lateParamRun(null);
  assertClose(pair.a, fixture.adamw_late_param.a, 'a', 1e-12, 1e-10);
  assertClose(pair.b, fixture.adamw_late_param.b, 'b', 1e-12, 1e-10);
  pair.dispose();
});

test('AdamW: per-parameter step counts survive saving and loading the state', () => {
  const pair = lateParamRun(3);
  assertClose(pair.b, fixture.adamw_late_param.b, 'b', 1e-12, 1e-10);
  pair.dispose();
  // State saved before step counts were kept: every parameter with moments counts the optimiser's steps.
  const old = lateParamRun(3, true);
  const b = [...old.b.data<'float64'>()];
  assert.ok(b.some((v, i) => Math.abs(v - fixture.adamw_late_param.b[i]!) > 1e-6));
  old.dispose();
});

test('optimizer state with a step count that is not a whole number is a CheckpointError', () => {
  const holder = new Holder(fixture.w0);
  const optimizer = new AdamW([{ params: [holder.w], lr: 0.1, weightDecay: 0 }]);
  for (const data of [Float64Array.of(1.5), Float64Array.of(-1), Float64Array.of(1, 2)]) {
    assert.throws(
      () => optimizer.loadState(new Map([['0.step', { shape: [data.length], data }]]), 1, 'ckpt'),
      /ckpt: optimizer state 0\.step is not one whole number of steps/,
    );
  }
  optimizer.dispose();
  holder.dispose();
});

test('oneCycle reproduces torch OneCycleLR', () => {
  const schedule = oneCycle({ maxLr: 0.1, totalSteps: 50 });
  fixture.one_cycle.forEach((lr, step) =>
    assert.ok(Math.abs(schedule(step) - lr) < 1e-12, `step ${step}: ${schedule(step)} vs ${lr}`),
  );
});

test('oneCycle with a one-step warm-up starts at its peak instead of NaN, then anneals', () => {
  for (const [pctStart, totalSteps] of [
    [0.1, 10],
    [0.2, 5],
    [0.05, 20],
  ] as const) {
    const schedule = oneCycle({ maxLr: 3e-3, totalSteps, pctStart });
    assert.equal(schedule(0), 3e-3);
    for (let step = 1; step < totalSteps; step++) {
      assert.ok(Number.isFinite(schedule(step)) && schedule(step) < schedule(step - 1), `step ${step}`);
    }
  }
});

test('cosineWithWarmup rises linearly, peaks at lr, decays to the final fraction', () => {
  const schedule = cosineWithWarmup({ lr: 1, totalSteps: 110, warmupSteps: 10, finalFraction: 0.1 });
  assert.ok(Math.abs(schedule(0) - 0.1) < 1e-12);
  assert.ok(Math.abs(schedule(9) - 1) < 1e-12);
  assert.ok(Math.abs(schedule(60) - 0.55) < 1e-12);
  assert.ok(Math.abs(schedule(110) - 0.1) < 1e-12);
  // The last step run (109) is still above the final rate: with finalFraction 0 it is not a step of rate 0.
  assert.ok(schedule(109) > 0.1);
});

test('clipGradNorm scales gradients to the maximum norm and reports the norm before', () => {
  const h = new Holder(Array.from({ length: 12 }, () => 1));
  scope(() => F.sum(F.mul(h.w, 2)).backward());
  const norm = clipGradNorm([h.w], 1);
  assert.ok(Math.abs(norm - Math.sqrt(12 * 4)) < 1e-9);
  const grad = h.w.grad!;
  assert.ok(Math.abs(Math.hypot(...grad.data<'float64'>()) - 1) < 1e-5);
  grad.dispose();
  h.dispose();
});

test('weight decay groups: an optimizer without parameters is refused', () => {
  assert.throws(() => new AdamW([{ params: [], lr: 1, weightDecay: 0 }]), /no parameters/);
});

test('AdamW state saved and loaded into a new optimizer continues with the identical next step', () => {
  const run = (resume: boolean) => {
    const holder = new Holder(fixture.w0);
    let optimizer = new AdamW([{ params: [holder.w], lr: 0.03, weightDecay: 0.1 }]);
    const step = () =>
      scope(() => {
        optimizer.zeroGrad();
        F.sum(
          F.abs(F.pow(F.sub(holder.w, F.tensor(Float64Array.from(fixture.target), [4, 3])), 3)),
        ).backward();
        optimizer.step();
      });
    step();
    step();
    if (resume) {
      const saved = optimizer.savedState();
      const steps = optimizer.stepCount;
      optimizer.dispose();
      optimizer = new AdamW([{ params: [holder.w], lr: 0.03, weightDecay: 0.1 }]);
      optimizer.loadState(saved, steps, 'saved');
    }
    step();
    const values = [...holder.w.data<'float64'>()];
    optimizer.dispose();
    holder.dispose();
    return values;
  };
  assert.deepEqual(run(true), run(false));
});

test('optimizer state that names a missing parameter or has the wrong shape is a CheckpointError', () => {
  const holder = new Holder(fixture.w0);
  const optimizer = new SGD([{ params: [holder.w], lr: 0.1, weightDecay: 0 }], { momentum: 0.9 });
  const bad = (key: string, shape: number[]) =>
    new Map([[key, { shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)) }]]);
  assert.throws(
    () => optimizer.loadState(bad('3.momentum_buffer', [4, 3]), 1, 'ckpt'),
    /ckpt: optimizer state 3\.momentum_buffer names no parameter/,
  );
  assert.throws(
    () => optimizer.loadState(bad('0.momentum_buffer', [3, 4]), 1, 'ckpt'),
    /is \[3, 4\], its parameter \[4, 3\]/,
  );
  assert.throws(
    () => optimizer.loadState(bad('0.exp_avg', [4, 3]), 1, 'ckpt'),
    /SGD has no state named exp_avg/,
  );
  optimizer.dispose();
  holder.dispose();
});
