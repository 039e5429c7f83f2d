/**
 * Comparing CV arms (`efficientecg compare`): the figures equal each arm's own cv.json, the paired difference is the
 * per-fold difference, the ensemble row matches records by id (not position), and arms that are not the same folds,
 * unfinished or unreadable are refused with a typed error naming the folder.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, FormatError, MissingFileError } from '../../src/errors.js';
import { compareArms, openArms, pairedDifference, type Comparison } from '../../src/train/cv-compare.js';
import { crossValidate, foldDir, outputsMetrics, readHeldout, type CvSummary } from '../../src/train/cv.js';
import { offsetsCv } from '../../src/train/cv-offsets.js';
import { RUN_FILES, type HeldoutFile } from '../../src/train/loop.js';
import { runCli } from '../infer/cli-harness.js';
import { tempDir, tinyConfig } from './helpers.js';
import { syntheticDataset } from './synthetic.js';

async function runCv(
  out: string,
  seed: number,
  records = 24,
  overrides: Record<string, unknown> = {},
): Promise<CvSummary> {
  const dataset = () => {
    const data = syntheticDataset({ records });
    data.entries.forEach((entry, i) => (entry.patientId = `P${Math.floor(i / 2)}`));
    return Promise.resolve(data);
  };
  return (await crossValidate(tinyConfig(out, { epochs: 1, seed, ...overrides }), dataset, { folds: 3 }))!;
}

const heldoutPath = (dir: string, fold: number) => join(foldDir(dir, fold), RUN_FILES.heldout);
const readFold = (dir: string, fold: number) =>
  JSON.parse(readFileSync(heldoutPath(dir, fold), 'utf8')) as HeldoutFile;

test('compare: the figures are the arms’ own, paired fold by fold; the ensemble averages logits by record id', async () => {
  const { dir, dispose } = tempDir();
  try {
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    const [first, second] = [await runCv(a, 0), await runCv(b, 1)];
    // Arm b's records in another order: the ensemble must pair records by id.
    for (const fold of [1, 2, 3]) {
      const file = readFold(b, fold);
      const order = file.outputs.ids.map((_, i) => i).reverse();
      const outputs = { ...file.outputs } as unknown as Record<string, unknown[]>;
      for (const key of ['ids', 'groups', 'labels', 'logits'] as const)
        outputs[key] = order.map((i) => (file.outputs as unknown as Record<string, unknown[]>)[key]![i]);
      writeFileSync(heldoutPath(b, fold), JSON.stringify({ ...file, outputs }));
    }
    const { arms, folds, totalFolds } = openArms([
      { label: 'A', dir: a },
      { label: 'B', dir: b },
    ]);
    const comparison = compareArms(arms, folds, totalFolds, { ensemble: true });
    const values = (summary: CvSummary) => summary.perFold.map((fold) => fold.value);
    assert.deepEqual(comparison.arms[0]!.perFold, values(first));
    assert.deepEqual(comparison.arms[1]!.perFold, values(second));
    assert.equal(comparison.arms[0]!.pooled, first.pooled.value);
    assert.equal(comparison.arms[1]!.mean, second.mean);
    const differences = values(second).map((v, k) => v! - values(first)[k]!);
    const mean = differences.reduce((s, d) => s + d, 0) / 3;
    assert.ok(Math.abs(comparison.arms[1]!.paired!.mean! - mean) < 1e-12);
    assert.equal(comparison.arms[1]!.paired!.up, differences.filter((d) => d > 0).length);
    // The ensemble's fold 1: both arms' fold-1 logits averaged record by record, computed here independently.
    const [fa, fb] = [readFold(a, 1).outputs, readFold(b, 1).outputs];
    const byId = new Map(fb.ids.map((id, i) => [id, fb.logits[i]!]));
    const averaged = {
      ...fa,
      logits: fa.ids.map((id, i) => fa.logits[i]!.map((x, c) => (x + byId.get(id)![c]!) / 2)),
    };
    assert.equal(comparison.arms[2]!.perFold[0], outputsMetrics(averaged).value);
  } finally {
    dispose();
  }
});

test('compare: unfinished, different or unreadable arms are refused naming the folder; --partial reads finished folds', async () => {
  const { dir, dispose } = tempDir();
  try {
    const [a, b, other] = [join(dir, 'a'), join(dir, 'b'), join(dir, 'other')];
    await runCv(a, 0);
    await runCv(b, 1);
    await runCv(other, 0, 30); // other records: not the same folds
    const arms = (...dirs: string[]) => dirs.map((d) => ({ label: d, dir: d }));
    const refused = (fn: () => unknown, type: new (...args: never[]) => Error, text: string) =>
      assert.throws(fn, (error: unknown) => error instanceof type && error.message.includes(text));
    refused(() => openArms(arms(a, other)), ConfigError, `${other}: fold 1 holds other records`);
    refused(() => openArms(arms(a, join(dir, 'missing'))), MissingFileError, 'missing');
    // The same records with the class columns in another order cannot be averaged or compared column by column.
    const original = readFileSync(heldoutPath(b, 1), 'utf8');
    const fold1 = readFold(b, 1);
    const reordered = { ...fold1.outputs, classes: [...fold1.outputs.classes].reverse() };
    writeFileSync(heldoutPath(b, 1), JSON.stringify({ ...fold1, outputs: reordered }));
    refused(() => openArms(arms(a, b)), ConfigError, `${b}: fold 1 is a records task of classes`);
    writeFileSync(heldoutPath(b, 1), original);
    rmSync(heldoutPath(b, 2));
    refused(() => openArms(arms(a, b)), ConfigError, `${b}: fold(s) 2 of 3 not finished (--partial`);
    assert.deepEqual(openArms(arms(a, b), { partial: true }).folds, [1, 3]);
    writeFileSync(heldoutPath(b, 3), '{"fold": 3');
    refused(() => openArms(arms(a, b), { partial: true }), FormatError, heldoutPath(b, 3));
  } finally {
    dispose();
  }
});

test('efficientecg compare: a table, JSON, every pooled figure (--details) and an SVG chart of the per-fold figures', async () => {
  const { dir, dispose } = tempDir();
  try {
    const [a, b] = [join(dir, 'recipe'), join(dir, 'change')];
    await runCv(a, 0);
    await runCv(b, 1);
    const run = async (...args: string[]) => {
      const { stdout, error } = await runCli(['compare', ...args]);
      assert.equal(error, null);
      return stdout;
    };
    const table = await run(a, '--arm', `seed 1=${b}`);
    assert.match(table, /\| recipe \| .* \| — \|/);
    assert.match(table, /\| seed 1 \| .* folds up\) \|/);
    const plot = join(dir, 'folds.svg');
    const json = JSON.parse(await run(a, b, '--ensemble', '--json', '--plot', plot)) as Comparison;
    assert.deepEqual(
      json.arms.map((arm) => arm.label),
      ['recipe', 'change', "average of the 2 arms' logits"],
    );
    for (const arm of json.arms.slice(0, 2)) assert.equal(arm.pooledDetails[json.metric], arm.pooled);
    // --baseline: the others are paired against it, and the ensemble averages the others only.
    const third = join(dir, 'third');
    await runCv(third, 2);
    const againstBaseline = JSON.parse(
      await run('--baseline', `base=${a}`, b, third, '--ensemble', '--json'),
    ) as Comparison;
    assert.deepEqual(
      againstBaseline.arms.map((arm) => arm.label),
      ['base', 'change', 'third', "average of the 2 arms' logits (base left out)"],
    );
    const pair = compareArms(
      openArms([
        { label: 'b', dir: b },
        { label: 'c', dir: third },
      ]).arms,
      [1, 2, 3],
      3,
      {
        ensemble: true,
      },
    );
    assert.deepEqual(againstBaseline.arms[3]!.perFold, pair.arms[2]!.perFold);
    const details = await run(a, b, '--details');
    assert.match(
      details,
      new RegExp(
        `\\| ${json.metric} \\| ${json.arms[0]!.pooled!.toFixed(3)} \\| ${json.arms[1]!.pooled!.toFixed(3)} \\|`,
      ),
    );
    const svg = readFileSync(plot, 'utf8');
    assert.ok(svg.startsWith('<svg') && svg.includes('recipe') && svg.includes('change'));
  } finally {
    dispose();
  }
});

test('compare: arms sharing a label are seeds of one recipe, paired seed by seed; --ensemble averages each recipe’s seeds', async () => {
  const { dir, dispose } = tempDir();
  try {
    // Recipe A: seeds 0 and 1; recipe B (another learning rate): seeds 0, 1 and 2.
    const recipes = [
      ['A', 0],
      ['A', 1],
      ['B', 0],
      ['B', 1],
      ['B', 2],
    ] as const;
    const runs = recipes.map(([recipe, seed]) => join(dir, `${recipe}${seed}`));
    const summaries = await Promise.all(
      runs.map((out, r) => runCv(out, recipes[r]![1], 24, recipes[r]![0] === 'B' ? { lr: 1e-3 } : {})),
    );
    const { arms, folds, totalFolds } = openArms([
      { label: 'A', dir: runs[0]! },
      { label: 'A', dir: runs[1]! },
      { label: 'B', dir: runs[2]! },
      { label: 'B', dir: runs[3]! },
    ]);
    const comparison = compareArms(arms, folds, totalFolds, { ensemble: true });
    assert.deepEqual(
      comparison.arms.map((arm) => arm.label),
      [
        'A seed 0',
        'A seed 1',
        'B seed 0',
        'B seed 1',
        "A: its 2 seeds' logits averaged",
        "B: its 2 seeds' logits averaged",
      ],
    );
    // Rows are paired seed for seed: B seed 1 with A seed 1, B's seed average with A's; A's own rows with nothing.
    const rowsByLabel = new Map(comparison.arms.map((arm) => [arm.label, arm]));
    const foldDifference = (x: string, y: string) =>
      pairedDifference(rowsByLabel.get(y)!.perFold, rowsByLabel.get(x)!.perFold);
    assert.equal(comparison.pairedAgainst, 'A, seed for seed');
    assert.equal(rowsByLabel.get('A seed 1')!.paired, null);
    assert.deepEqual(rowsByLabel.get('B seed 1')!.paired, foldDifference('B seed 1', 'A seed 1'));
    assert.deepEqual(
      rowsByLabel.get("B: its 2 seeds' logits averaged")!.paired,
      foldDifference("B: its 2 seeds' logits averaged", "A: its 2 seeds' logits averaged"),
    );
    // Independently from the runs' own cv.json: B's seed k minus A's seed k.
    const [a0, a1, b0, b1] = summaries;
    const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
    const [a, b] = comparison.recipes!;
    assert.equal(a!.paired, null);
    assert.deepEqual(b!.pooledPerSeed, [b0!.pooled.value, b1!.pooled.value]);
    assert.ok(Math.abs(b!.pooled.mean! - mean([b0!.pooled.value!, b1!.pooled.value!])) < 1e-12);
    const perSeed = [b0!.pooled.value! - a0!.pooled.value!, b1!.pooled.value! - a1!.pooled.value!];
    assert.ok(Math.abs(b!.paired!.perSeed.mean! - mean(perSeed)) < 1e-12);
    assert.equal(b!.paired!.perSeed.up, perSeed.filter((d) => d > 0).length);
    const folded = (s: CvSummary) => s.perFold.map((fold) => fold.value!);
    const perFold = [
      ...folded(b0!).map((v, k) => v - folded(a0!)[k]!),
      ...folded(b1!).map((v, k) => v - folded(a1!)[k]!),
    ];
    assert.equal(b!.paired!.perFoldAndSeed.folds, 6);
    assert.ok(Math.abs(b!.paired!.perFoldAndSeed.mean! - mean(perFold)) < 1e-12);
    // A's seed average equals the plain two-arm ensemble of its folders.
    const plain = compareArms(
      openArms([runs[0]!, runs[1]!].map((d) => ({ label: d, dir: d }))).arms,
      folds,
      3,
      {
        ensemble: true,
      },
    );
    assert.deepEqual(comparison.arms[4]!.perFold, plain.arms[2]!.perFold);
    // One reference seed pairs with every seed; otherwise the seed counts must match.
    const single = compareArms(
      openArms([
        { label: 'A', dir: runs[0]! },
        { label: 'B', dir: runs[2]! },
        { label: 'B', dir: runs[3]! },
      ]).arms,
      folds,
      3,
    );
    assert.equal(single.recipes![1]!.paired!.perSeed.folds, 2);
    const uneven = openArms([
      { label: 'A', dir: runs[0]! },
      { label: 'A', dir: runs[1]! },
      { label: 'B', dir: runs[2]! },
      { label: 'B', dir: runs[3]! },
      { label: 'B', dir: runs[4]! },
    ]).arms;
    assert.throws(
      () => compareArms(uneven, folds, 3),
      (error: unknown) => error instanceof ConfigError && /B has 3 seeds and A 2/.test(error.message),
    );
    const { stdout } = await runCli([
      'compare',
      '--arm',
      `A=${runs[0]}`,
      '--arm',
      `A=${runs[1]}`,
      '--arm',
      `B=${runs[2]}`,
      '--arm',
      `B=${runs[3]}`,
    ]);
    assert.match(stdout, /\| B \| 2 \| .* seeds up\) \| .* \(\d\/6 fold-seed pairs up\) \|/);
  } finally {
    dispose();
  }
});

test('compare --nested-offsets: every row, ensembles included, is decided with offsets fitted on its other folds', async () => {
  const { dir, dispose } = tempDir();
  try {
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await runCv(a, 0);
    await runCv(b, 1);
    // Arm a's logits made informative (the true class +2, small noise) and its "fast" logits pushed down by 3: argmax
    // never says fast, and offsets fitted on the other folds must bring it back.
    let noise = 1;
    const jitter = () => ((noise = (noise * 16807) % 2147483647) / 2147483647 - 0.5) * 0.5;
    for (const fold of [1, 2, 3]) {
      const file = readFold(a, fold);
      const fast = file.outputs.classes.indexOf('fast');
      const logits = file.outputs.labels.map(([label]) =>
        file.outputs.classes.map((_, c) => (c === label ? 2 : 0) - (c === fast ? 3 : 0) + jitter()),
      );
      writeFileSync(heldoutPath(a, fold), JSON.stringify({ ...file, outputs: { ...file.outputs, logits } }));
    }
    const opened = openArms([
      { label: 'A', dir: a },
      { label: 'B', dir: b },
    ]);
    const plain = compareArms(opened.arms, opened.folds, 3, { ensemble: true });
    const decided = compareArms(opened.arms, opened.folds, 3, {
      ensemble: true,
      nestedOffsets: { classes: ['fast'] },
    });
    assert.match(decided.decision, /offsets \(fast\) fitted on the other folds/);
    const config = (JSON.parse(readFileSync(join(a, 'cv.json'), 'utf8')) as CvSummary).config;
    const expectedA = offsetsCv(readHeldout(a, 3)!, config, ['fast']).nested;
    assert.deepEqual(
      decided.arms[0]!.perFold,
      expectedA.perFold.map((fold) => fold.value),
    );
    assert.equal(decided.arms[0]!.pooled, expectedA.pooled.value);
    assert.ok(decided.arms[0]!.pooled! > plain.arms[0]!.pooled!, 'the offsets recover the shifted class');
    // Offsets decide, they do not re-rank: AUROC and AP stay the model's, the decision figures move.
    const ranking = (details: Record<string, unknown>) =>
      Object.entries(details).filter(([key]) => /auroc|macro_ap/.test(key));
    assert.ok(ranking(plain.arms[0]!.pooledDetails).length >= 2);
    assert.deepEqual(ranking(decided.arms[0]!.pooledDetails), ranking(plain.arms[0]!.pooledDetails));
    assert.notEqual(decided.arms[0]!.pooledDetails.macro_f1, plain.arms[0]!.pooledDetails.macro_f1);
    const plainA = offsetsCv(readHeldout(a, 3)!, config, ['fast']).plain;
    assert.deepEqual(ranking(expectedA.pooled.details), ranking(plainA.pooled.details));
    assert.deepEqual(ranking(expectedA.perFold[1]!.details), ranking(plainA.perFold[1]!.details));
    assert.deepEqual(ranking(expectedA.intervals), ranking(plainA.intervals));
    // The ensemble row: the two arms' logits averaged by id here, then the same nested fit.
    const averaged = [1, 2, 3].map((fold) => {
      const [fa, fb] = [readFold(a, fold), readFold(b, fold)];
      const byId = new Map(fb.outputs.ids.map((id, i) => [id, fb.outputs.logits[i]!]));
      const logits = fa.outputs.ids.map((id, i) =>
        fa.outputs.logits[i]!.map((x, c) => (x + byId.get(id)![c]!) / 2),
      );
      const outputs = { ...fa.outputs, logits };
      return { ...fa, outputs, metrics: outputsMetrics(outputs) };
    });
    const expectedEnsemble = offsetsCv(averaged, config, ['fast']).nested;
    assert.deepEqual(
      decided.arms[2]!.perFold,
      expectedEnsemble.perFold.map((fold) => fold.value),
    );
    const { error } = await runCli(['compare', a, b, '--nested-offsets', 'nope']);
    assert.ok(error instanceof ConfigError && /offset class "nope"/.test(error.message));
  } finally {
    dispose();
  }
});

test('paired differences: pairs with a missing figure are left out everywhere; one pair has no sd', () => {
  const one = pairedDifference([0.8], [0.81]);
  assert.ok(Math.abs(one.mean! - 0.01) < 1e-12);
  assert.deepEqual({ sd: one.sd, up: one.up, folds: one.folds }, { sd: null, up: 1, folds: 1 });
  const gappy = pairedDifference([0.8, null, 0.7], [0.82, 0.9, 0.69]);
  assert.equal(gappy.folds, 2);
  assert.equal(gappy.up, 1);
  assert.ok(Math.abs(gappy.mean! - 0.005) < 1e-12);
  assert.ok(Math.abs(gappy.sd! - Math.sqrt(2 * 0.015 ** 2)) < 1e-12);
  assert.deepEqual(pairedDifference([null], [0.5]), { mean: null, sd: null, up: 0, folds: 0 });
});
