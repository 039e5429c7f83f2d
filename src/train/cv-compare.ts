/**
 * Comparing cross-validation arms run on the same folds (`efficientecg compare`): each arm's per-fold figures, mean
 * ± sd over folds and pooled out-of-fold figure with its patient-bootstrap interval, and the paired per-fold
 * difference against the first arm (the project's rule: keep a change only when its gain exceeds that spread).
 * Optionally the arms' averaged logits (an ensemble of the arms: fold k averages their fold-k models on fold k).
 * Arms given the same label are seeds of one recipe (their config.json may differ only in `seed`): recipes are then
 * also compared seed by seed (each seed against the reference recipe's run with the same seed, or in the order given
 * when no config.json records the seeds), so a change is judged against the seed spread as well as the fold spread.
 * Everything is recomputed from the folds' heldout.json, so an unfinished arm can be read on its finished folds.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { ConfigError, MissingFileError } from '../errors.js';
import type { TrainConfig } from './config.js';
import {
  foldsRecipe,
  headlineIntervals,
  meanAndSd,
  outputsMetrics,
  poolOutputs,
  readFoldHeldout,
  settingDifferences,
  type CvSummary,
} from './cv.js';
import { isRankingFigure, nestedOffsetOutputs } from './cv-offsets.js';
import { RUN_FILES, type HeldoutFile } from './loop.js';
import type { TaskOutputs } from './task.js';

/** One arm: a CV folder and the held-out files of the compared folds (fold order). */
export interface CvArm {
  label: string;
  dir: string;
  heldout: HeldoutFile[];
  /** The recipe its finished folds were trained with (their config.json); null when no fold has one. */
  config: TrainConfig | null;
}

export interface PairedDifference {
  /** null without any pair; sd null below two pairs. */
  mean: number | null;
  sd: number | null;
  /** Pairs (folds; seeds or fold-seed pairs for recipes) on which the arm is above the reference. */
  up: number;
  /** How many pairs. */
  folds: number;
}

export interface ArmFigures {
  label: string;
  perFold: Array<number | null>;
  mean: number | null;
  sd: number | null;
  pooled: number | null;
  interval: readonly [number, number] | null;
  /** Every other figure of the pooled out-of-fold outputs (per class, per decision), flattened: `f1_per_class.A`. */
  pooledDetails: Record<string, number | null>;
  /** Against the first arm (with seeds: the first recipe's same seed), fold by fold; null for the reference itself. */
  paired: PairedDifference | null;
}

/** The seeds of one recipe (the arms given one label), in the order given. */
export interface RecipeFigures {
  label: string;
  seeds: number;
  /** Each seed's pooled out-of-fold figure, their mean and sd: the seed spread. */
  pooledPerSeed: Array<number | null>;
  pooled: { mean: number | null; sd: number | null };
  /** Each seed's mean over folds, their mean and sd. */
  foldMeanPerSeed: Array<number | null>;
  foldMean: { mean: number | null; sd: number | null };
  /**
   * Against the first recipe, seed k paired with its seed k (or with its only seed): the pooled figures seed by seed,
   * and every fold of every seed. Null for the first recipe.
   */
  paired: { perSeed: PairedDifference; perFoldAndSeed: PairedDifference } | null;
}

export interface Comparison {
  metric: string;
  /** How the outputs were decided: the CVs' own argmax, or argmax after class offsets fitted on the other folds. */
  decision: string;
  /** What the rows' paired differences are against: the first row, or with seeds the first recipe seed for seed. */
  pairedAgainst: string;
  /** The compared folds (1-based) and how many the CVs have. */
  folds: number[];
  totalFolds: number;
  arms: ArmFigures[];
  /** Present when some label names several arms (seeds of one recipe): the recipes compared seed by seed. */
  recipes?: RecipeFigures[];
  /** With seeds: how each recipe's seeds were paired with the reference recipe's (by seed, or in the order given). */
  seedPairing?: string[];
}

/**
 * Opens the arms' CV folders. All folds must be finished unless `partial`, which keeps the folds every arm has
 * finished. Arms must be distinct folders, each trained with one recipe (foldsRecipe), and hold the same records in
 * each fold (the same folds), else a ConfigError names the first difference.
 */
export function openArms(
  specs: ReadonlyArray<{ label: string; dir: string }>,
  options: { partial?: boolean } = {},
): { arms: CvArm[]; folds: number[]; totalFolds: number } {
  if (specs.length === 0) throw new ConfigError('compare: no arm given');
  checkDistinctFolders(specs);
  // Every finished fold's file is read once: the fold count and the compared folds come from them.
  const finished = specs.map(({ dir }) => finishedFolds(dir));
  const totalFolds = foldCount(specs, finished);
  let folds = Array.from({ length: totalFolds }, (_, k) => k + 1);
  specs.forEach(({ dir }, a) => {
    const missing = folds.filter((k) => !finished[a]!.has(k));
    if (missing.length === 0 || options.partial) return;
    throw new ConfigError(
      `${dir}: fold(s) ${missing.join(', ')} of ${totalFolds} not finished (--partial compares the folds every arm has finished)`,
    );
  });
  folds = folds.filter((k) => finished.every((done) => done.has(k)));
  if (folds.length === 0) throw new ConfigError('compare: no fold is finished in every arm');
  const arms = specs.map(({ label, dir }, a) => ({
    label,
    dir,
    heldout: folds.map((k) => finished[a]!.get(k)!),
    config: foldsRecipe(dir, [...finished[a]!.keys()]),
  }));
  checkSameFolds(arms, folds);
  return { arms, folds, totalFolds };
}

/** One folder given twice would be compared with itself: as two arms, or as two "seeds" with no spread. */
function checkDistinctFolders(specs: ReadonlyArray<{ dir: string }>): void {
  const seen = new Map<string, string>();
  for (const { dir } of specs) {
    if (!existsSync(dir)) continue; // finishedFolds names it
    const real = realpathSync(dir);
    const first = seen.get(real);
    if (first !== undefined)
      throw new ConfigError(
        `compare: ${dir} is given twice${first === dir ? '' : ` (also as ${first})`}: an arm or seed is one CV folder, never the same one again`,
      );
    seen.set(real, dir);
  }
}

/**
 * The figures of every arm (and, with `ensemble`, of their averaged logits) on the arms' common folds. With
 * `baseline`, the first arm is only the reference of the paired differences: the ensemble averages the others.
 * Arms sharing a label are seeds of one recipe: they are listed as `label seed S` (`label #k` without config.json),
 * `recipes` compares the recipes seed by seed, and `ensemble` averages each recipe's seeds instead of all arms.
 */
export function compareArms(
  arms: readonly CvArm[],
  folds: readonly number[],
  totalFolds: number,
  options: {
    ensemble?: boolean;
    baseline?: boolean;
    /** Decide every row with class offsets fitted on its other folds (nested); `classes` move (default: all). */
    nestedOffsets?: { classes?: readonly string[] };
  } = {},
): Comparison {
  const groups = recipeGroups(arms);
  const seeded = groups.some((group) => group.members.length > 1);
  if (seeded) {
    for (const group of groups) checkOneRecipe(group, arms);
    checkSeedPairs(groups);
  }
  const rows = arms.map((arm, a) => ({
    label: seeded ? seedLabel(groups, a) : arm.label,
    outputs: arm.heldout.map((file) => file.outputs),
  }));
  if (options.ensemble) rows.push(...ensembleRows(arms, groups, folds, seeded, options.baseline ?? false));
  const { nestedOffsets } = options;
  const decided = nestedOffsets
    ? rows.map((row) => ({
        ...row,
        outputs: nestedOffsetOutputs(row.outputs, nestedOffsets.classes).outputs,
      }))
    : rows;
  const figures = decided.map(({ label, outputs }, r) => {
    const figure = armFigures(label, outputs);
    return nestedOffsets ? withRankingOf(figure, rows[r]!.outputs) : figure;
  });
  const metrics = new Set(figures.map((f) => f.metric));
  if (metrics.size > 1)
    throw new ConfigError(`compare: the arms report different metrics (${[...metrics].join(', ')})`);
  const partners = seeded ? seedPartners(groups, rows.length) : rows.map((_, r) => (r === 0 ? null : 0));
  return {
    metric: figures[0]!.metric,
    decision: nestedOffsets
      ? `argmax after class offsets (${nestedOffsets.classes?.join(', ') ?? 'every class'}) fitted on the other folds`
      : 'argmax (as in the CVs)',
    pairedAgainst: seeded ? `${groups[0]!.label}, seed for seed` : rows[0]!.label,
    folds: [...folds],
    totalFolds,
    arms: figures.map(({ metric: _metric, ...arm }, r) => {
      const partner = partners[r]!;
      return {
        ...arm,
        paired: partner === null ? null : pairedDifference(figures[partner]!.perFold, arm.perFold),
      };
    }),
    ...(seeded ? { recipes: recipeFigures(groups, figures), seedPairing: seedPairing(groups) } : {}),
  };
}

interface RecipeGroup {
  label: string;
  /** Indices into the arms: by seed when every member's config.json records it, else in the order given. */
  members: number[];
  /** The same indices in the order given. */
  given: number[];
  /** The members' seeds (members' order), null when some member has no config.json. */
  seeds: number[] | null;
}

/**
 * Seed k of every recipe is paired with the first recipe's seed k (or its only seed): the counts must allow it, and
 * where both recipes record their seeds, seed k must be the same seed.
 */
function checkSeedPairs([reference, ...others]: readonly RecipeGroup[]): void {
  for (const group of others) {
    if (reference!.members.length === 1) continue;
    if (reference!.members.length !== group.members.length)
      throw new ConfigError(
        `compare: ${group.label} has ${group.members.length} seeds and ${reference!.label} ${reference!.members.length}: pair them seed by seed (the same number of seeds, or one reference seed)`,
      );
    if (bySeed(reference!, group) && reference!.seeds!.join(',') !== group.seeds!.join(','))
      throw new ConfigError(
        `compare: ${group.label} was run with seeds ${group.seeds!.join(', ')} and ${reference!.label} with ${reference!.seeds!.join(', ')}: seeds are paired by seed, run both recipes with the same seeds`,
      );
  }
}

function bySeed(reference: RecipeGroup, group: RecipeGroup): boolean {
  return reference.seeds !== null && group.seeds !== null;
}

/**
 * The arms given one label must be one recipe run with several seeds: their config.json (where there is one) may
 * differ only in `seed`, and no seed twice.
 */
function checkOneRecipe(group: RecipeGroup, arms: readonly CvArm[]): void {
  const recorded = group.members.map((a) => arms[a]!).filter((arm) => arm.config !== null);
  const [first, ...others] = recorded;
  for (const arm of others) {
    const changed = settingDifferences(arm.config!, first!.config!, ['seed', 'cvFold']);
    if (changed.length > 0)
      throw new ConfigError(
        `compare: ${group.label}'s seeds differ in more than the seed (${arm.dir}: ${changed.join(', ')} in ${first!.dir}): arms given one label must be one recipe`,
      );
    const twin = recorded.find((other) => other !== arm && other.config!.seed === arm.config!.seed);
    if (twin !== undefined)
      throw new ConfigError(
        `compare: ${group.label}'s seeds ${twin.dir} and ${arm.dir} were both trained with seed ${arm.config!.seed}: seeds of one recipe must differ in their seed`,
      );
  }
}

/** How each recipe's seeds are paired with the reference recipe's, for the report. */
function seedPairing([reference, ...others]: readonly RecipeGroup[]): string[] {
  return others.map((group) => {
    if (reference!.members.length === 1)
      return `${group.label}: every seed paired with ${reference!.label}'s only run`;
    return bySeed(reference!, group)
      ? `${group.label}: each seed paired with ${reference!.label}'s run of the same seed (config.json)`
      : `${group.label}: seeds paired with ${reference!.label}'s in the order given (no config.json records their seeds)`;
  });
}

/**
 * A recipe's arms in the order they are paired with the first recipe's (`reference`): by seed where both record
 * their seeds, else both in the order given (as seedPairing reports).
 */
function pairingOrder(group: RecipeGroup, reference: RecipeGroup): number[] {
  return bySeed(reference, group) ? group.members : group.given;
}

/** The first recipe's arm that seed k of `group` (in pairingOrder) is paired with. */
function referenceSeed(reference: RecipeGroup, group: RecipeGroup, k: number): number {
  if (reference.members.length === 1) return reference.members[0]!;
  return pairingOrder(reference, group)[k]!;
}

/** The arms grouped by label, in order of first appearance; each group's members by seed where all record one. */
function recipeGroups(arms: readonly CvArm[]): RecipeGroup[] {
  const groups = new Map<string, number[]>();
  arms.forEach((arm, a) => groups.set(arm.label, [...(groups.get(arm.label) ?? []), a]));
  return [...groups].map(([label, members]) => {
    if (!members.every((a) => arms[a]!.config !== null))
      return { label, members, given: members, seeds: null };
    const sorted = [...members].sort((a, b) => arms[a]!.config!.seed - arms[b]!.config!.seed);
    return { label, members: sorted, given: members, seeds: sorted.map((a) => arms[a]!.config!.seed) };
  });
}

/**
 * With seeds, the row each row is paired with: seed k of another recipe with the first recipe's seed k (or its only
 * seed), a recipe's seed average with the first recipe's seed average (or its only seed); the first recipe's own
 * rows with none. Rows: the arms, then one seed average per recipe with several seeds (ensembleRows' order).
 */
function seedPartners(groups: readonly RecipeGroup[], rows: number): Array<number | null> {
  const [reference, ...others] = groups;
  const arms = groups.reduce((n, g) => n + g.members.length, 0);
  const partners: Array<number | null> = Array.from({ length: rows }, () => null);
  const averaged = groups.filter((g) => g.members.length > 1);
  const averageRow = (group: RecipeGroup) => arms + averaged.indexOf(group);
  for (const group of others) {
    pairingOrder(group, reference!).forEach(
      (arm, k) => (partners[arm] = referenceSeed(reference!, group, k)),
    );
    if (group.members.length > 1 && rows > arms)
      partners[averageRow(group)] =
        reference!.members.length > 1 ? averageRow(reference!) : reference!.members[0]!;
  }
  return partners;
}

function seedLabel(groups: readonly RecipeGroup[], arm: number): string {
  const group = groups.find((g) => g.members.includes(arm))!;
  const k = group.members.indexOf(arm);
  if (group.members.length === 1) return group.label;
  return group.seeds ? `${group.label} seed ${group.seeds[k]}` : `${group.label} #${k + 1}`;
}

/** The averaged-logits rows: all arms (but the baseline), or with seeds each recipe's seeds. */
function ensembleRows(
  arms: readonly CvArm[],
  groups: readonly RecipeGroup[],
  folds: readonly number[],
  seeded: boolean,
  baseline: boolean,
): Array<{ label: string; outputs: TaskOutputs[] }> {
  const average = (members: readonly CvArm[]) =>
    folds.map((_, k) => averageLogits(members.map((arm) => arm.heldout[k]!.outputs)));
  if (seeded)
    return groups
      .filter((group) => group.members.length > 1)
      .map((group) => ({
        label: `${group.label}: its ${group.members.length} seeds' logits averaged`,
        outputs: average(group.members.map((a) => arms[a]!)),
      }));
  const members = baseline ? arms.slice(1) : arms;
  if (members.length < 2) return [];
  return [
    {
      label: `average of the ${members.length} arms' logits${baseline ? ` (${arms[0]!.label} left out)` : ''}`,
      outputs: average(members),
    },
  ];
}

/** Each recipe's seed spread and its differences from the first recipe, seed k against seed k. */
function recipeFigures(
  groups: readonly RecipeGroup[],
  figures: ReadonlyArray<Pick<ArmFigures, 'perFold' | 'mean' | 'pooled'>>,
): RecipeFigures[] {
  const reference = groups[0]!;
  return groups.map((group) => {
    const seeds = group.members.map((a) => figures[a]!);
    const summary = {
      label: group.label,
      seeds: seeds.length,
      pooledPerSeed: seeds.map((seed) => seed.pooled),
      pooled: meanAndSd(seeds.map((seed) => seed.pooled)),
      foldMeanPerSeed: seeds.map((seed) => seed.mean),
      foldMean: meanAndSd(seeds.map((seed) => seed.mean)),
    };
    if (group === reference) return { ...summary, paired: null };
    const paired = pairingOrder(group, reference).map((a) => figures[a]!);
    const against = (k: number) => figures[referenceSeed(reference, group, k)]!;
    return {
      ...summary,
      paired: {
        perSeed: pairedDifference(
          paired.map((_, k) => against(k).pooled),
          paired.map((seed) => seed.pooled),
        ),
        perFoldAndSeed: pairedDifference(
          paired.flatMap((_, k) => against(k).perFold),
          paired.flatMap((seed) => seed.perFold),
        ),
      },
    };
  });
}

/**
 * Mean ± sd of the per-fold differences b - a over the pairs where both figures exist, and on how many of them b is
 * above a. sd is null below two pairs: one pair has no spread to beat.
 */
export function pairedDifference(
  a: ReadonlyArray<number | null>,
  b: ReadonlyArray<number | null>,
): PairedDifference {
  const d = b.flatMap((value, k) => (value === null || a[k] == null ? [] : [value - a[k]!]));
  const { mean, sd } = meanAndSd(d);
  return { mean, sd, up: d.filter((x) => x > 0).length, folds: d.length };
}

/** A CV summary's per-fold figures, in fold order. */
export function foldValues(summary: Pick<CvSummary, 'perFold'>): Array<number | null> {
  return summary.perFold.map((fold) => fold.value);
}

/**
 * A markdown table: per-fold figures, mean ± sd, pooled [95 % CI], paired difference against the first arm; with
 * `details`, a second table of every pooled figure (per class, per decision), one column per arm.
 */
export function formatComparison(comparison: Comparison, options: { details?: boolean } = {}): string {
  const f = (v: number | null | undefined) =>
    v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(3);
  const signed = (v: number | null) => `${v !== null && v >= 0 ? '+' : ''}${f(v)}`;
  const { metric, folds, totalFolds, arms } = comparison;
  const lines = [
    ...(folds.length < totalFolds
      ? [`folds ${folds.join(', ')} of ${totalFolds} (finished in every arm)`]
      : []),
    `decision: ${comparison.decision}`,
    ...(comparison.seedPairing ?? []).map((line) => `seeds: ${line}`),
    '',
  ];
  lines.push(
    `| arm | ${metric} per fold | mean ± sd over ${folds.length} folds | pooled out-of-fold [95 % CI] | paired difference vs ${comparison.pairedAgainst} |`,
    '|---|---|---|---|---|',
  );
  for (const arm of arms) {
    const interval = arm.interval ? ` [${f(arm.interval[0])}, ${f(arm.interval[1])}]` : '';
    const paired = arm.paired
      ? `${signed(arm.paired.mean)} ± ${f(arm.paired.sd)} (${arm.paired.up}/${arm.paired.folds} folds up${coverage(arm.paired.folds, folds.length, 'folds', inList)})`
      : '—';
    const present = arm.perFold.filter((v) => v !== null).length;
    lines.push(
      `| ${arm.label} | ${arm.perFold.map(f).join(' / ')} | ${f(arm.mean)} ± ${f(arm.sd)}${coverage(present, folds.length, 'folds')} | ${f(arm.pooled)}${interval} | ${paired} |`,
    );
  }
  if (comparison.recipes) lines.push('', ...recipesTable(comparison.recipes, f, signed, folds.length));
  if (options.details) lines.push('', ...detailsTable(comparison));
  return `${lines.join('\n')}\n`;
}

/** coverage() inside parentheses already open: `(3/4 folds up, over 4 of 5 folds)`. */
const inList = (text: string) => `, ${text}`;

/**
 * ` (over 4 of 5 folds)` (or `wrap`ped otherwise) when a mean ± sd leaves out figures that do not exist (a fold
 * without a figure), so that it is not read as covering them all; '' when it covers all.
 */
function coverage(
  present: number,
  total: number,
  unit: string,
  wrap = (text: string) => ` (${text})`,
): string {
  return present < total ? wrap(`over ${present} of ${total} ${unit}`) : '';
}

/** The recipes seed by seed: the seed spread of each, and its paired differences from the first. */
function recipesTable(
  recipes: readonly RecipeFigures[],
  f: (v: number | null | undefined) => string,
  signed: (v: number | null) => string,
  folds: number,
): string[] {
  const spread = (s: { mean: number | null; sd: number | null }, values: ReadonlyArray<number | null>) =>
    `${f(s.mean)} ± ${f(s.sd)}${coverage(values.filter((v) => v !== null).length, values.length, 'seeds')}`;
  const paired = (d: PairedDifference, unit: string, pairs: number) =>
    `${signed(d.mean)} ± ${f(d.sd)} (${d.up}/${d.folds} ${unit} up${coverage(d.folds, pairs, unit, inList)})`;
  return [
    `| recipe | seeds | pooled per seed | pooled, mean ± sd over seeds | mean over folds, mean ± sd over seeds | paired vs ${recipes[0]!.label}: pooled, seed by seed | paired: every fold of every seed |`,
    '|---|---|---|---|---|---|---|',
    ...recipes.map(
      (r) =>
        `| ${r.label} | ${r.seeds} | ${r.pooledPerSeed.map(f).join(' / ')} | ${spread(r.pooled, r.pooledPerSeed)} | ${spread(r.foldMean, r.foldMeanPerSeed)} | ${r.paired ? paired(r.paired.perSeed, 'seeds', r.seeds) : '—'} | ${r.paired ? paired(r.paired.perFoldAndSeed, 'fold-seed pairs', r.seeds * folds) : '—'} |`,
    ),
  ];
}

function detailsTable({ arms }: Comparison): string[] {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
  const keys = [...new Set(arms.flatMap((arm) => Object.keys(arm.pooledDetails)))];
  return [
    `| pooled out-of-fold | ${arms.map((arm) => arm.label).join(' | ')} |`,
    `|---|${arms.map(() => '---').join('|')}|`,
    ...keys.map((key) => `| ${key} | ${arms.map((arm) => f(arm.pooledDetails[key])).join(' | ')} |`),
  ];
}

/** Numeric leaves of a metrics object, keyed by their dotted path (non-numbers left out). */
function flatNumbers(
  value: unknown,
  prefix = '',
  out: Record<string, number | null> = {},
): Record<string, number | null> {
  if (value === null && prefix !== '') out[prefix] = null;
  else if (typeof value === 'number') out[prefix] = value;
  else if (typeof value === 'object' && value !== null && !Array.isArray(value))
    for (const [key, child] of Object.entries(value))
      flatNumbers(child, prefix ? `${prefix}.${key}` : key, out);
  return out;
}

/** Per-fold figures, one line per arm across the folds (paired by fold): a Vega-Lite spec for renderSvg. */
export function comparisonSpec(comparison: Comparison): TopLevelSpec {
  const rows = comparison.arms.flatMap((arm) =>
    arm.perFold.map((value, k) => ({ arm: arm.label, fold: comparison.folds[k]!, value })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${comparison.metric} per fold`,
    width: Math.max(240, 48 * comparison.folds.length),
    height: 280,
    data: { values: rows },
    mark: { type: 'line', point: true, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'fold', type: 'ordinal', title: 'fold' },
      y: { field: 'value', type: 'quantitative', title: comparison.metric, scale: { zero: false } },
      color: {
        field: 'arm',
        type: 'nominal',
        title: null,
        sort: comparison.arms.map((arm) => arm.label),
        legend: { labelLimit: 480 },
      },
    },
  } as TopLevelSpec;
}

function armFigures(
  label: string,
  outputs: readonly TaskOutputs[],
): Omit<ArmFigures, 'paired'> & { metric: string } {
  const perFold = outputs.map((fold) => outputsMetrics(fold).value);
  const { mean, sd } = meanAndSd(perFold);
  const pooledOutputs = poolOutputs(outputs);
  const pooled = outputsMetrics(pooledOutputs);
  return {
    label,
    metric: pooled.metric,
    perFold,
    mean,
    sd,
    pooled: pooled.value,
    interval: headlineIntervals(pooledOutputs)[pooled.metric] ?? null,
    pooledDetails: flatNumbers(pooled.details),
  };
}

/** Decided figures with the undecided outputs' AUROC and AP: offsets decide, they must not re-rank (cv-offsets.ts). */
function withRankingOf<T extends { pooledDetails: Record<string, number | null> }>(
  decided: T,
  undecided: readonly TaskOutputs[],
): T {
  const plain = flatNumbers(outputsMetrics(poolOutputs(undecided)).details);
  const ranking = Object.entries(plain).filter(([key]) => isRankingFigure(key));
  return { ...decided, pooledDetails: { ...decided.pooledDetails, ...Object.fromEntries(ranking) } };
}

/** The arms' outputs for the same records (matched by id), with their logits averaged. */
function averageLogits(outputs: readonly TaskOutputs[]): TaskOutputs {
  const first = outputs[0]!;
  const positions = outputs.map((o) => new Map(o.ids.map((id, i) => [id, i])));
  return {
    ...first,
    logits: first.ids.map((id) =>
      first.classes.map(
        (_, c) =>
          outputs.reduce((sum, o, a) => sum + o.logits[positions[a]!.get(id)!]![c]!, 0) / outputs.length,
      ),
    ),
  };
}

/** The arm's finished folds (fold-k/heldout.json written), each file read and checked to be its fold's. */
function finishedFolds(dir: string): Map<number, HeldoutFile> {
  if (!existsSync(dir)) throw new MissingFileError(dir, 'cross-validation folder not found');
  const foldNames = readdirSync(dir)
    .map((name) => /^fold-(\d+)$/.exec(name)?.[1])
    .filter((k): k is string => k !== undefined);
  if (foldNames.length === 0)
    throw new ConfigError(
      `${dir}: not a cv output folder (no fold-k/ folders): compare takes folders written by \`efficientecg cv\``,
    );
  const folds = foldNames
    .filter((k) => existsSync(join(dir, `fold-${k}`, RUN_FILES.heldout)))
    .map(Number)
    .sort((a, b) => a - b);
  return new Map(folds.map((k) => [k, readFoldHeldout(dir, k)]));
}

/** The folds the CVs were cut into, which every held-out file of every arm must agree on. */
function foldCount(
  specs: ReadonlyArray<{ dir: string }>,
  finished: ReadonlyArray<Map<number, HeldoutFile>>,
): number {
  let reference: { dir: string; folds: number } | null = null;
  specs.forEach(({ dir }, a) => {
    if (finished[a]!.size === 0)
      throw new ConfigError(`${dir}: no finished fold (no fold-k/${RUN_FILES.heldout})`);
    for (const file of finished[a]!.values()) {
      reference ??= { dir, folds: file.folds };
      if (file.folds !== reference.folds)
        throw new ConfigError(
          `${dir} was cut into ${file.folds} folds, ${reference.dir} into ${reference.folds}: not the same folds`,
        );
    }
  });
  return reference!.folds;
}

function checkSameFolds(arms: readonly CvArm[], folds: readonly number[]): void {
  const [first, ...others] = arms;
  folds.forEach((fold, k) => {
    const ids = new Set(first!.heldout[k]!.outputs.ids);
    const { task, classes } = first!.heldout[k]!.outputs;
    for (const arm of others) {
      const outputs = arm.heldout[k]!.outputs;
      // Ensembles average logits column by column: the columns must mean the same classes.
      if (outputs.task !== task || outputs.classes.join(',') !== classes.join(','))
        throw new ConfigError(
          `${arm.dir}: fold ${fold} is a ${outputs.task} task of classes [${outputs.classes.join(', ')}], ${first!.dir}'s a ${task} task of [${classes.join(', ')}]: not comparable`,
        );
      const theirs = outputs.ids;
      const stranger = theirs.find((id) => !ids.has(id));
      if (theirs.length !== ids.size || stranger !== undefined)
        throw new ConfigError(
          `${arm.dir}: fold ${fold} holds other records than ${first!.dir}'s fold ${fold}${stranger ? ` (e.g. ${stranger})` : ''}: not the same folds`,
        );
    }
  });
}
