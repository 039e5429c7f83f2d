/**
 * Distillation: the soft loss and its gradient equal PyTorch's (test/fixtures/train/make_distill_golden.py), teachers
 * resolve per CV fold, a teacher that does not fit the data is refused naming its file, and alpha = 0 trains exactly
 * like no distillation while alpha > 0 changes the run. Per-crop targets are the teachers' logits on the student's own
 * crop: on a whole short record they equal the once-per-record targets, and two crops of a record get two targets.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as F from '../../src/engine/ops.js';
import { ConfigError, FormatError, MissingFileError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/export/checkpoint.js';
import { writeWindow } from '../../src/train/batch.js';
import { loadTrainingData } from '../../src/train/data.js';
import { softLoss, softTargets, teacherCheckpointPath } from '../../src/train/distill.js';
import { crossValidate } from '../../src/train/cv.js';
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
    // Given the records the student's fold holds out, the teacher's fold must have held out every one of them.
    assert.throws(() => teacherCheckpointPath(cv, { folds: 2, fold: 2 }, undefined, ['a']), MissingFileError);
    const heldout = (fold: number) =>
      JSON.stringify({
        fold,
        folds: 2,
        outputs: {
          ids: ['a', 'b'],
          logits: [
            [0, 1],
            [1, 0],
          ],
        },
      });
    // A fold's file that is another fold's (copied by hand) is refused, not read as this fold's held-out records.
    writeFileSync(join(cv, 'fold-2', 'heldout.json'), heldout(1));
    assert.throws(
      () => teacherCheckpointPath(cv, { folds: 2, fold: 2 }, undefined, ['a']),
      (error: unknown) => error instanceof FormatError && /holds fold 1 of 2, expected 2/.test(error.message),
    );
    writeFileSync(join(cv, 'fold-2', 'heldout.json'), heldout(2));
    const fold2 = join(cv, 'fold-2', 'last.safetensors');
    assert.equal(teacherCheckpointPath(cv, { folds: 2, fold: 2 }, undefined, ['b', 'a']), fold2);
    assert.throws(
      () => teacherCheckpointPath(cv, { folds: 2, fold: 2 }, undefined, ['a', 'c']),
      (error: unknown) =>
        error instanceof ConfigError && /trained on 1 of the 2 records .*\(e\.g\. c\)/.test(error.message),
    );
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

test('in a CV, a teacher CV of other folds or a single checkpoint of the same data is refused; the same folds teach', async () => {
  const { dir, dispose } = tempDir();
  try {
    const data = async () => syntheticDataset({ records: 30 });
    const teacher = (name: string) => join(dir, name);
    await crossValidate(tinyConfig(teacher('cv3'), { epochs: 1 }), data, { folds: 3 });
    await crossValidate(tinyConfig(teacher('cv2'), { epochs: 1 }), data, { folds: 2 });
    await train(tinyConfig(teacher('run'), { epochs: 1 }), await data());
    const student = (name: string, spec: string) =>
      crossValidate(
        tinyConfig(join(dir, name), { epochs: 1, distill: { teachers: [spec], alpha: 0.5, temperature: 2 } }),
        data,
        { folds: 3, only: [1] },
      );
    await student('taught', teacher('cv3')); // the same 3 folds: every held-out record was held out by the teacher
    assert.ok(existsSync(join(dir, 'taught', 'fold-1', 'heldout.json')));
    await assert.rejects(
      student('other-folds', teacher('cv2')),
      (error: unknown) => error instanceof ConfigError && error.message.includes('cv2'),
    );
    await assert.rejects(
      student('same-data', teacher('run')),
      (error: unknown) => error instanceof ConfigError && /was trained on synthetic/.test(error.message),
    );
  } finally {
    dispose();
  }
});

test('in a CV of custom data, a single teacher trained on the same folder is refused; one of another folder teaches', async () => {
  const { dir, dispose } = tempDir();
  try {
    const custom = (records: number) => async () => ({ ...syntheticDataset({ records }), name: 'custom' });
    await train(tinyConfig(join(dir, 'same'), { epochs: 1 }), await custom(30)());
    await train(tinyConfig(join(dir, 'other'), { epochs: 1 }), await custom(36)());
    const student = (name: string, teacher: string) =>
      crossValidate(
        tinyConfig(join(dir, name), {
          epochs: 1,
          distill: { teachers: [join(dir, teacher)], alpha: 0.5, temperature: 2 },
        }),
        custom(30),
        { folds: 3, only: [1] },
      );
    await assert.rejects(
      student('taught-by-same', 'same'),
      (error: unknown) =>
        error instanceof ConfigError && /was trained on this custom folder/.test(error.message),
    );
    await student('taught-by-other', 'other');
    assert.ok(existsSync(join(dir, 'taught-by-other', 'fold-1', 'heldout.json')));
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

test('per-crop targets: the teachers score the crop itself, averaged; a crop covering a short record gets its record target', async () => {
  const { dir, dispose } = tempDir();
  try {
    const teachers = [join(dir, 'a'), join(dir, 'b')];
    await train(tinyConfig(teachers[0]!, { epochs: 1, lr: 1e-2 }), syntheticDataset());
    await train(tinyConfig(teachers[1]!, { epochs: 2, lr: 1e-2, seed: 5 }), syntheticDataset());
    const data = await loadTrainingData(syntheticDataset(), {
      preprocess: { resampleTo: null, bandpass: null, standardize: false },
      cacheDir: null,
    });
    const window = { samples: 100, shortRecords: 'zero-pad' as const, fs: data.fs }; // the teachers' 2 s window
    const lengths = data.store.slots.map((slot) => slot.length);
    const short = lengths.findIndex((length) => length < 100); // one zero-padded window from 0
    const long = lengths.findIndex((length) => length >= 200);
    const distill = { teachers, alpha: 0.5, temperature: 2 };
    const targetsOf = (targets: 'record' | 'crop') =>
      softTargets({ ...distill, targets }, null, data, [short], window, undefined, false);
    const [perRecord, perCrop] = [await targetsOf('record'), await targetsOf('crop')];
    try {
      const size = data.store.leads * window.samples;
      const batch = new Float32Array(3 * size);
      writeWindow(data.store, short, window, 0, 0, batch.subarray(0, size));
      writeWindow(data.store, long, window, 0, 0, batch.subarray(size, 2 * size));
      writeWindow(data.store, long, window, 100, 0, batch.subarray(2 * size));
      const crop = perCrop.of(batch, [short, long, long]);
      const record = perRecord.of(batch, [short]);
      const classes = data.classes.length;
      for (let c = 0; c < classes; c++) assert.ok(Math.abs(crop[c]! - record[c]!) < 1e-5, `class ${c}`);
      const [first, second] = [crop.subarray(classes, 2 * classes), crop.subarray(2 * classes)];
      assert.ok(
        first.some((x, c) => Math.abs(x - second[c]!) > 1e-4),
        'two crops of one record got one target',
      );
    } finally {
      perRecord.dispose();
      perCrop.dispose();
    }
    // A run taught per crop trains, and differs from one taught per record.
    const weights = async (out: string, targets: string) =>
      readCheckpoint(
        (
          await train(
            tinyConfig(join(dir, out), { epochs: 1, distill: { ...distill, targets } }),
            syntheticDataset(),
          )
        ).lastPath,
      ).state;
    const [byRecord, byCrop] = [await weights('record', 'record'), await weights('crop', 'crop')];
    let changed = 0;
    for (const [name, value] of byRecord) {
      if (name.endsWith('num_batches_tracked')) continue;
      const other = byCrop.get(name)!.data as Float32Array;
      (value.data as Float32Array).forEach((v, i) => (changed = Math.max(changed, Math.abs(v - other[i]!))));
    }
    assert.ok(changed > 1e-5, `per-crop targets moved the weights by at most ${changed}`);
  } finally {
    dispose();
  }
});

test('a z-scored teacher teaches a student that reads mV from the records z-scored; an mV teacher of z-scored data is refused', async () => {
  const { dir, dispose } = tempDir();
  try {
    const zTeacher = join(dir, 'z');
    const mvTeacher = join(dir, 'mv');
    const zScored = { fs: null, bandpass: null, standardize: true };
    await train(tinyConfig(zTeacher, { epochs: 1, lr: 1e-2, preprocess: zScored }), syntheticDataset());
    await train(tinyConfig(mvTeacher, { epochs: 1, lr: 1e-2 }), syntheticDataset());
    const load = (standardize: boolean) =>
      loadTrainingData(syntheticDataset(), {
        preprocess: { resampleTo: null, bandpass: null, standardize },
        cacheDir: null,
      });
    const [mv, z] = [await load(false), await load(true)];
    const window = { samples: 100, shortRecords: 'zero-pad' as const, fs: mv.fs };
    const records = [0, 1, 2, 3, 4, 5];
    const distill = { teachers: [zTeacher], alpha: 0.5, temperature: 2, targets: 'record' as const };
    // The mV student's targets equal those of a student whose own data is z-scored, record for record.
    const fromMv = await softTargets(distill, null, mv, records, window, undefined, false);
    const fromZ = await softTargets(distill, null, z, records, window, undefined, true);
    const [a, b] = [fromMv.of(new Float32Array(0), records), fromZ.of(new Float32Array(0), records)];
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-4, `target ${i}: ${x} vs ${b[i]}`));
    // Without the z-score the teacher would see other inputs: its targets on the raw mV store differ.
    const raw = await softTargets(distill, null, mv, records, window, undefined, true);
    assert.ok(
      raw.of(new Float32Array(0), records).some((x, i) => Math.abs(x - b[i]!) > 1e-3),
      'the z-score mattered',
    );
    await assert.rejects(
      softTargets({ ...distill, teachers: [mvTeacher] }, null, z, records, window, undefined, true),
      (e: unknown) =>
        e instanceof ConfigError && /reads leads in mV and the data is z-scored/.test(e.message),
    );
    await assert.rejects(
      softTargets({ ...distill, targets: 'crop' }, null, mv, records, window, undefined, false),
      (e: unknown) => e instanceof ConfigError && /use --distill-targets record/.test(e.message),
    );
  } finally {
    dispose();
  }
});
