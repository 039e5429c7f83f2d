/**
 * Option value parsers shared by every command. Commander names the option in the error, so a bad value is refused
 * before any work starts. A blank value is never a number here (`Number('')` is 0: `--grad-clip ""` would have
 * switched clipping off). Only plain decimal notation is a number: Number() would also take 0x10, 0b11 and 0o17.
 */
import { InvalidArgumentError } from 'commander';

/** Decimal digits with an optional sign, fraction and exponent ("2.5", "-.5", "1e-3"); spaces around are allowed. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** A whole number: sign and digits only (no fraction, no exponent). */
const INTEGER = /^[+-]?\d+$/;

function parseNumber(value: string, pattern = DECIMAL): number {
  const text = value.trim();
  return pattern.test(text) ? Number(text) : Number.NaN;
}

/** Whole numbers from `min` to `max`, written as plain digits and exactly representable (safe integers). */
export function integerIn(min: number, max = Number.POSITIVE_INFINITY): (value: string) => number {
  const expected =
    max === Number.POSITIVE_INFINITY ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  return (value) => {
    const n = parseNumber(value, INTEGER);
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected ${expected}`);
    return n === 0 ? 0 : n; // "-0" is 0
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
