/**
 * What `compare` takes for one arm and for seeds of one recipe: an arm's folds must share one recipe; only explicit
 * labels group arms as seeds, which must differ only in their seed and are paired with the reference recipe's run
 * of the same seed (in the order given only when no config.json records the seeds); one folder is never two arms. A
 * mean ± sd over fewer folds than compared says so.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { labelArms } from '../../src/cli/compare.js';
import { ConfigError } from '../../src/errors.js';
import {
  compareArms,
  formatComparison,
  openArms,
  pairedDifference,
  type Comparison,
} from '../../src/train/cv-compare.js';
import { runCli } from '../infer/cli-harness.js';
import { writeCv } from './cv-fixture.js';
import { tempDir } from './helpers.js';

const refused = (text: RegExp) => (error: unknown) =>
  error instanceof ConfigError && text.test(error.message);

test('compare: an arm whose folds were trained with different settings is refused, naming folder, folds and settings', () => {
  const { dir, dispose } = tempDir();
  try {
    const [a, mixed] = [join(dir, 'a'), join(dir, 'mixed')];
    writeCv(a);
    writeCv(mixed, { noise: 2, config: (fold) => (fold === 3 ? { lr: 0.01 } : {}) });
    assert.throws(
      () =>
        openArms([
          { label: 'A', dir: a },
          { label: 'M', dir: mixed },
        ]),
      refused(
        new RegExp(
          `^${mixed}: its folds were trained with different settings \\(fold 3: lr 0\\.01 vs 0\\.003 in fold 1\\)`,
        ),
      ),
    );
    // Threads, workers and paths may differ between folds; a fold without config.json is taken as it is.
    const fine = join(dir, 'fine');
    writeCv(fine, { noise: 3, config: (fold) => ({ threads: fold, workers: fold, logEvery: fold }) });
    assert.equal(openArms([{ label: 'F', dir: fine }]).arms[0]!.config!.lr, 0.003);
    const bundled = join(dir, 'bundled');
    writeCv(bundled, { config: null });
    assert.equal(openArms([{ label: 'B', dir: bundled }]).arms[0]!.config, null);
  } finally {
    dispose();
  }
});

test('compare: bare folders sharing a base name are two arms, labelled by the shortest end of their path that differs', async () => {
  const { dir, dispose } = tempDir();
  try {
    const [slow, fast] = [join(dir, 'lr1e-3', 'cinc-30s'), join(dir, 'lr3e-3', 'cinc-30s')];
    writeCv(slow, { noise: 1 });
    writeCv(fast, { noise: 2, skill: 1.4, config: () => ({ lr: 0.001 }) });
    const { stdout, error } = await runCli(['compare', slow, fast, '--json']);
    assert.equal(error, null);
    const comparison = JSON.parse(stdout) as Comparison;
    assert.deepEqual(
      comparison.arms.map((arm) => arm.label),
      ['lr1e-3/cinc-30s', 'lr3e-3/cinc-30s'],
    );
    assert.equal(comparison.recipes, undefined);
    assert.equal(comparison.arms[1]!.paired!.folds, 3);
    // A bare folder never joins an explicit label's seeds either.
    assert.deepEqual(
      labelArms([
        { label: null, dir: 'runs/a/x' },
        { label: null, dir: 'runs/b/x/' },
        { label: null, dir: './y' },
        { label: 'y', dir: 'other/z' },
      ]).map((arm) => arm.label),
      ['a/x', 'b/x', './y', 'y'],
    );
  } finally {
    dispose();
  }
});

test('compare: one folder given twice (as arms or seeds, however spelled) is refused', async () => {
  const { dir, dispose } = tempDir();
  try {
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    writeCv(a);
    writeCv(b, { noise: 2 });
    mkdirSync(join(dir, 'links'));
    symlinkSync(b, join(dir, 'links', 'b'));
    const twice = /is given twice/;
    for (const again of [b, `${b}/`, join(dir, 'links', 'b')])
      assert.throws(
        () =>
          openArms([
            { label: 'A', dir: a },
            { label: 'B', dir: b },
            { label: 'B', dir: again },
          ]),
        refused(twice),
      );
    const { error } = await runCli(['compare', a, b, b]);
    assert.ok(error instanceof ConfigError && twice.test(error.message), String(error));
  } finally {
    dispose();
  }
});

test('compare: seeds of one recipe must differ only in their seed, and in it', () => {
  const { dir, dispose } = tempDir();
  try {
    const cv = (name: string, settings: Record<string, unknown>) => {
      const out = join(dir, name);
      writeCv(out, { noise: name.length, config: () => settings });
      return { label: 'A', dir: out };
    };
    const [seed0, seed1, otherLr, seed1Again] = [
      cv('s0', { seed: 0 }),
      cv('s1', { seed: 1 }),
      cv('s1-lr', { seed: 1, lr: 0.01 }),
      cv('s1-again', { seed: 1 }),
    ];
    const compare = (...specs: Array<{ label: string; dir: string }>) => {
      const { arms, folds, totalFolds } = openArms(specs);
      return compareArms(arms, folds, totalFolds);
    };
    assert.throws(
      () => compare(seed0, otherLr),
      refused(/A's seeds differ in more than the seed \(.*s1-lr: lr 0\.01 vs 0\.003 in .*s0\)/),
    );
    assert.throws(() => compare(seed0, seed1, seed1Again), refused(/were both trained with seed 1/));
    assert.deepEqual(
      compare(seed0, seed1).arms.map((arm) => arm.label),
      ['A seed 0', 'A seed 1'],
    );
  } finally {
    dispose();
  }
});

test('compare: seeds are paired by their seed (config.json), not by the order given; without config.json by order, said so', () => {
  const { dir, dispose } = tempDir();
  try {
    const cv = (name: string, seed: number, lr: number | null) => {
      const out = join(dir, name);
      writeCv(out, { noise: seed + (lr ?? 1) * 1000, config: lr === null ? null : () => ({ seed, lr }) });
      return out;
    };
    const specs = [
      { label: 'A', dir: cv('a1', 1, 0.003) },
      { label: 'A', dir: cv('a0', 0, 0.003) },
      { label: 'B', dir: cv('b0', 0, 0.01) },
      { label: 'B', dir: cv('b1', 1, 0.01) },
    ];
    const { arms, folds, totalFolds } = openArms(specs);
    const comparison = compareArms(arms, folds, totalFolds);
    const row = (label: string) => comparison.arms.find((arm) => arm.label === label)!;
    assert.deepEqual(
      row('B seed 1').paired,
      pairedDifference(row('A seed 1').perFold, row('B seed 1').perFold),
    );
    assert.deepEqual(
      row('B seed 0').paired,
      pairedDifference(row('A seed 0').perFold, row('B seed 0').perFold),
    );
    const perSeed = comparison.recipes![1]!.paired!.perSeed;
    assert.deepEqual(
      perSeed,
      pairedDifference(
        [row('A seed 0').pooled, row('A seed 1').pooled],
        [row('B seed 0').pooled, row('B seed 1').pooled],
      ),
    );
    assert.match(formatComparison(comparison), /seeds: B: each seed paired with A's run of the same seed/);
    // Other seeds than the reference recipe's have no partner.
    const other = openArms([...specs.slice(0, 3), { label: 'B', dir: cv('b2', 2, 0.01) }]);
    assert.throws(
      () => compareArms(other.arms, other.folds, other.totalFolds),
      refused(/B was run with seeds 0, 2 and A with 0, 1/),
    );
    // Folders without config.json (rebuilt from bundles): the order given, and the report says so.
    const unrecorded = openArms([
      { label: 'A', dir: cv('u-a', 0, null) },
      { label: 'A', dir: cv('u-b', 1, null) },
      { label: 'B', dir: cv('u-c', 2, null) },
      { label: 'B', dir: cv('u-d', 3, null) },
    ]);
    const byOrder = compareArms(unrecorded.arms, unrecorded.folds, unrecorded.totalFolds);
    assert.deepEqual(
      byOrder.arms.map((arm) => arm.label),
      ['A #1', 'A #2', 'B #1', 'B #2'],
    );
    assert.match(
      formatComparison(byOrder),
      /seeds: B: seeds paired with A's in the order given \(no config\.json records their seeds\)/,
    );
    // A recipe that records its seeds against one that does not: both in the order given (A's seed 1 was given
    // first, so it pairs with B's first folder), as the report says, not A sorted by seed against B as given.
    const mixed = openArms([
      specs[0]!,
      specs[1]!,
      { label: 'B', dir: cv('m-1', 1, null) },
      { label: 'B', dir: cv('m-0', 0, null) },
    ]);
    const byGiven = compareArms(mixed.arms, mixed.folds, mixed.totalFolds);
    const mixedRow = (label: string) => byGiven.arms.find((arm) => arm.label === label)!;
    assert.deepEqual(
      mixedRow('B #1').paired,
      pairedDifference(mixedRow('A seed 1').perFold, mixedRow('B #1').perFold),
    );
    assert.deepEqual(
      mixedRow('B #2').paired,
      pairedDifference(mixedRow('A seed 0').perFold, mixedRow('B #2').perFold),
    );
    assert.deepEqual(
      byGiven.recipes![1]!.paired!.perSeed,
      pairedDifference(
        [mixedRow('A seed 1').pooled, mixedRow('A seed 0').pooled],
        [mixedRow('B #1').pooled, mixedRow('B #2').pooled],
      ),
    );
    assert.match(formatComparison(byGiven), /seeds: B: seeds paired with A's in the order given/);
  } finally {
    dispose();
  }
});

test('compare: a mean ± sd or paired difference over fewer folds than compared says so', () => {
  const arm = (label: string, perFold: Array<number | null>) => ({
    label,
    perFold,
    mean: 0.8,
    sd: 0.01,
    pooled: 0.8,
    interval: null,
    pooledDetails: {},
    paired: label === 'A' ? null : pairedDifference([0.8, 0.8, 0.8, 0.8, 0.8], perFold),
  });
  const text = formatComparison({
    metric: 'macro_f1',
    decision: 'argmax',
    pairedAgainst: 'A',
    folds: [1, 2, 3, 4, 5],
    totalFolds: 5,
    arms: [arm('A', [0.8, 0.8, 0.8, 0.8, 0.8]), arm('N', [0.9, 0.9, 0.7, 0.9, null])],
  });
  assert.match(text, /\| A \| .* \| 0\.800 ± 0\.010 \| /);
  assert.match(
    text,
    /\| N \| .* \| 0\.800 ± 0\.010 \(over 4 of 5 folds\) \| .* \(3\/4 folds up, over 4 of 5 folds\) \|/,
  );
});
