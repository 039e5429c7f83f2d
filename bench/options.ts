/**
 * Option values of the benches: the CLI's parsers (src/cli/parsers.ts), so that `--runs 0`, `--rounds abc` or
 * `--budget -1` are refused before any work starts (they gave NaN figures or crashed), and a refused value ends the
 * run with exit code 2 (a usage error), as a measurement that fails ends it with 1.
 */
import { Command, InvalidArgumentError } from 'commander';

export {
  integerIn,
  nonNegativeNumber,
  oneOf,
  positiveInteger,
  positiveNumber,
  wholeNumber,
} from '../src/cli/parsers.js';

/** Exit code of a bench called with a bad option value. */
export const USAGE_EXIT_CODE = 2;

/**
 * A commander program for a bench: commander prints which option is wrong and why; the run then exits with 2
 * (help and --version still exit with 0).
 */
export function benchCommand(): Command {
  return new Command().exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT_CODE));
}

/**
 * For a bench that reads its own argv (no commander): the value after `flag` parsed by `parse` (one of the
 * parsers above), `fallback` when the flag is absent; a bad or missing value prints `<bench>: --flag: why` and exits
 * with 2.
 */
export function optionValue<T>(
  bench: string,
  argv: readonly string[],
  flag: string,
  parse: (value: string) => T,
  fallback: T,
): T {
  const i = argv.indexOf(flag);
  if (i < 0) return fallback;
  const value = argv[i + 1];
  try {
    if (value === undefined || value.startsWith('--')) throw new InvalidArgumentError('expected a value');
    return parse(value);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    const shown = value === undefined || value.startsWith('--') ? '' : ` '${value}'`;
    console.error(`${bench}: ${flag}${shown}: ${error.message}`);
    process.exit(USAGE_EXIT_CODE);
  }
}
