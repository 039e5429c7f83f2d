/**
 * Option value parsers shared by every command. Commander names the option in the error, so a bad value is refused
 * before any work starts. A blank value is never a number here (`Number('')` is 0: `--grad-clip ""` would have
 * switched clipping off).
 */
import { InvalidArgumentError } from 'commander';

function parseNumber(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}

/** Whole numbers from `min` to `max`. */
export function integerIn(min: number, max = Number.POSITIVE_INFINITY): (value: string) => number {
  const expected =
    max === Number.POSITIVE_INFINITY ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  return (value) => {
    const n = parseNumber(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${expected}`);
    return n;
  };
}

export const wholeNumber = integerIn(0);
export const positiveInteger = integerIn(1);

/** Any finite number (ranges that depend on other settings are checked by the training config). */
export function finiteNumber(value: string): number {
  const n = parseNumber(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

export function positiveNumber(value: string): number {
  const n = parseNumber(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = parseNumber(value);
  if (!(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

/** One of `values`. */
export function oneOf<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(values as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected ${values.join('|')}`);
    return value as T;
  };
}
