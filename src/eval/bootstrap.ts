/**
 * Percentile bootstrap intervals for any metric: resample records (or whole groups such as MIT-BIH
 * patients) with replacement from a seeded PRNG, recompute the metric, take the percentiles of each value.
 * A metric returns a tree of numbers; every leaf gets its own interval. Resamples on which a leaf is
 * undefined (null, e.g. no positives drawn) are left out of that leaf's interval and counted.
 */
import { MetricError } from '../errors.js';

/** What a metric returns: a number, null (undefined on this sample) or an object of those, nested. */
export type MetricTree = number | null | { readonly [key: string]: MetricTree };

/** [lower, upper], or null when the leaf was undefined on every resample. */
export type IntervalTree<T> = T extends number | null
  ? readonly [number, number] | null
  : T extends object
    ? { [K in keyof T]: IntervalTree<T[K]> }
    : never;

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** PRNG seed (default 0): the same seed gives the same intervals. */
  seed?: number;
  /** Coverage (default 0.95). */
  level?: number;
  /** Group of each record (e.g. patient id): whole groups are resampled, keeping their records together. */
  groups?: readonly (string | number)[];
}

export interface BootstrapResult<T> {
  /** The metric on the full data. */
  estimate: T;
  intervals: IntervalTree<T>;
  resamples: number;
  level: number;
  /** Per leaf path ("a.b"), resamples on which the leaf was undefined (only leaves with any). */
  undefinedResamples: Record<string, number>;
}

import { quantile } from '../util/quantile.js';
import { seededRandom } from '../util/random.js';

export { quantile, seededRandom };

/**
 * A macro average is comparable between resamples only over the same classes: null (left out of its interval and
 * counted as undefined) in a resample where a class defined on the full data (`required`) is undefined.
 */
export function macroOverRequired(
  macro: number | null,
  perClass: Readonly<Record<string, number | null>>,
  required: readonly string[],
): number | null {
  return required.every((name) => perClass[name] !== null && perClass[name] !== undefined) ? macro : null;
}

/** The classes with a defined value. */
export function definedClasses(perClass: Readonly<Record<string, number | null>>): string[] {
  return Object.keys(perClass).filter((name) => perClass[name] !== null);
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** Leaves by path; anything but numbers, null and plain objects is a metric that cannot be resampled. */
function flatten(tree: unknown, path: string, out: Map<string, number | null>): void {
  if (tree === null || typeof tree === 'number') out.set(path, tree);
  else if (typeof tree === 'object' && !Array.isArray(tree))
    for (const [key, value] of Object.entries(tree)) flatten(value, join(path, key), out);
  else
    throw new MetricError(
      'metric',
      `value at "${path}" is ${typeof tree}, expected a number, null or object`,
    );
}

function mirror(tree: unknown, path: string, leaf: (path: string) => unknown): unknown {
  if (tree === null || typeof tree === 'number') return leaf(path);
  return Object.fromEntries(
    Object.entries(tree as object).map(([key, value]) => [key, mirror(value, join(path, key), leaf)]),
  );
}

/** Units to resample: one per record, or the records of each group. */
function resamplingUnits(count: number, groups: BootstrapOptions['groups']): number[][] {
  if (groups === undefined) return Array.from({ length: count }, (_, i) => [i]);
  if (groups.length !== count)
    throw new MetricError('options.groups', `${groups.length} entries for ${count} records`);
  const members = new Map<string | number, number[]>();
  groups.forEach((group, i) => {
    const list = members.get(group);
    if (list === undefined) members.set(group, [i]);
    else list.push(i);
  });
  return [...members.values()];
}

function checkOptions(count: number, resamples: number, level: number): void {
  if (!Number.isInteger(count) || count < 1)
    throw new MetricError('count', `${count}, expected at least 1 record`);
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new MetricError('options.resamples', `${resamples}, expected a positive integer`);
  if (!(level > 0 && level < 1))
    throw new MetricError('options.level', `${level}, expected a value in (0, 1)`);
}

/**
 * Bootstrap `metric` over `count` records. `metric(indices)` receives the record indices of one resample
 * (with repetitions) and must treat them as its data set.
 */
export function bootstrap<T>(
  count: number,
  metric: (indices: Uint32Array) => T,
  options: BootstrapOptions = {},
): BootstrapResult<T> {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  checkOptions(count, resamples, level);
  const units = resamplingUnits(count, options.groups);
  const random = seededRandom(options.seed ?? 0);
  const estimate = metric(Uint32Array.from({ length: count }, (_, i) => i));
  const leaves = new Map<string, number | null>();
  flatten(estimate, '', leaves);
  const draws = new Map<string, number[]>([...leaves.keys()].map((path) => [path, []]));
  const undefinedResamples: Record<string, number> = {};
  for (let r = 0; r < resamples; r++) {
    const indices: number[] = [];
    for (let u = 0; u < units.length; u++) {
      // A loop, not push(...unit): a patient with ~10^5 records would overflow the call stack as arguments.
      for (const index of units[Math.floor(random() * units.length)]!) indices.push(index);
    }
    const values = new Map<string, number | null>();
    flatten(metric(Uint32Array.from(indices)), '', values);
    for (const [path, list] of draws) {
      const value = values.get(path);
      if (typeof value === 'number' && Number.isFinite(value)) list.push(value);
      else undefinedResamples[path] = (undefinedResamples[path] ?? 0) + 1;
    }
  }
  const tail = (1 - level) / 2;
  const intervals = mirror(estimate, '', (path) => {
    const sorted = Float64Array.from(draws.get(path)!).sort();
    return sorted.length === 0 ? null : [quantile(sorted, tail), quantile(sorted, 1 - tail)];
  }) as IntervalTree<T>;
  return { estimate, intervals, resamples, level, undefinedResamples };
}
