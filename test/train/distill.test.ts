/**
 * Distillation: the soft loss and its gradient equal PyTorch's (test/fixtures/train/make_distill_golden.py), teachers
 * resolve per CV fold, a teacher that does not fit the data is refused naming its file, and alpha = 0 trains exactly
 * like no distillation while alpha > 0 changes the run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as F from '../../src/engine/ops.js';
import { ConfigError, MissingFileError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { softLoss, teacherCheckpointPath } from '../../src/train/distill.js';
import { train } from '../../src/train/index.js';
import { syntheticDataset } from './synthetic.js';
import { tempDir, tinyConfig } from './helpers.js';

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/train/distill-golden.json', import.meta.url), 'utf8'),
) as {
  student: number[][];
  teacher: number[][];
  temperature: number;
  single: { loss: number; grad: number[][] };
  multi: { loss: number; grad: number[][] };
};

for (const kind of ['single', 'multi'] as const) {
  test(`the ${kind}-label soft loss and its gradient equal PyTorch's`, () => {
    const student = F.tensor(Float32Array.from(golden.student.flat()), [4, 3]);
    student.requiresGrad = true;
    const teacher = F.tensor(Float32Array.from(golden.teacher.flat()), [4, 3]);
    const loss = softLoss(
      kind === 'single' ? 'single-label' : 'multi-label',
      student,
      teacher,
      golden.temperature,
    );
    assert.ok(Math.abs(loss.item() - golden[kind].loss) < 1e-5, `${loss.item()} vs ${golden[kind].loss}`);
    loss.backward();
    const grad = student.grad!.data();
    golden[kind].grad.flat().forEach((g, i) => assert.ok(Math.abs(grad[i]! - g) < 1e-6, `grad ${i}`));
  });
}

test('teachers: a CV folder teaches fold k with its fold-k model; run folders and bad folders', () => {
  const { dir, dispose } = tempDir();
  try {
    const cv = join(dir, 'cv');
    for (const fold of [1, 2]) {
      mkdirSync(join(cv, `fold-${fold}`), { recursive: true });
      writeFileSync(join(cv, `fold-${fold}`, 'last.safetensors'), '');
    }
    assert.equal(teacherCheckpointPath(cv, { folds: 3, fold: 2 }), join(cv, 'fold-2', 'last.safetensors'));
    assert.throws(() => teacherCheckpointPath(cv, { folds: 3, fold: 3 }), MissingFileError);
    assert.throws(() => teacherCheckpointPath(cv, null), ConfigError);
    const run = join(dir, 'run');
    mkdirSync(run);
    assert.throws(() => teacherCheckpointPath(run, null), MissingFileError);
    writeFileSync(join(run, 'last.safetensors'), '');
    assert.equal(teacherCheckpointPath(run, null), join(run, 'last.safetensors'));
    writeFileSync(join(run, 'best.safetensors'), '');
    assert.equal(teacherCheckpointPath(run, null), join(run, 'best.safetensors'));
  } finally {
    dispose();
  }
});

test('alpha 0 trains exactly like no teacher; alpha 0.5 changes the weights; a teacher of other leads is refused', async () => {
  const { dir, dispose } = tempDir();
  try {
    const teacher = join(dir, 'teacher');
    await train(tinyConfig(teacher, { epochs: 2, lr: 1e-2 }), syntheticDataset());
    const weights = async (out: string, distill: unknown) => {
      const result = await train(tinyConfig(join(dir, out), { epochs: 1, distill }), syntheticDataset());
      return readCheckpoint(result.lastPath).state;
    };
    const plain = await weights('plain', null);
    const zero = await weights('zero', { teachers: [teacher], alpha: 0, temperature: 2 });
    const half = await weights('half', { teachers: [teacher, teacher], alpha: 0.5, temperature: 2 });
    let changed = 0;
    for (const [name, value] of plain) {
      if (name.endsWith('num_batches_tracked')) continue;
      assert.deepEqual(
        Array.from(zero.get(name)!.data as Float32Array),
        Array.from(value.data as Float32Array),
      );
      const other = half.get(name)!.data as Float32Array;
      (value.data as Float32Array).forEach((v, i) => (changed = Math.max(changed, Math.abs(v - other[i]!))));
    }
    assert.ok(changed > 1e-4, `alpha 0.5 moved the weights by at most ${changed}`);
    // A teacher that reads other leads than the data has is refused, naming its file.
    const other = join(dir, 'other');
    await train(tinyConfig(other, { epochs: 1 }), syntheticDataset({ leads: 2 }));
    await assert.rejects(
      weights('refused', { teachers: [other], alpha: 0.5, temperature: 2 }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(other),
    );
  } finally {
    dispose();
  }
});
