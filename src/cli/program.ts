import { Command } from 'commander';
import { packageVersion } from '../version.js';
import { commands } from './commands.js';

/** Program-level options that take a value (the argument after them is not a command name). */
const OPTIONS_WITH_VALUE = new Set(['--models-dir']);

/**
 * The `efficientecg` command line: one file per command under src/cli, listed in commands.ts. Given the user's
 * arguments, only the command they name is loaded, and none for the version; otherwise (help, an unknown command)
 * every command is, so help lists them all and a typo gets its suggestion.
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('efficientecg')
    .description('Read ECGs, train EfficientECG models on libtorch, diagnose with onnxruntime.')
    .version(packageVersion(), '-V, --version')
    .option('--models-dir <dir>', 'bundled-model catalogue folder (default: the package models/)')
    .showHelpAfterError();
  const named = args === undefined ? undefined : commandName(args);
  const versionOnly = named === undefined && args?.some((arg) => arg === '-V' || arg === '--version');
  const load =
    named !== undefined && Object.hasOwn(commands, named)
      ? [named]
      : versionOnly
        ? []
        : Object.keys(commands);
  for (const register of await Promise.all(load.map((name) => commands[name]!()))) register(program);
  return program;
}

/** The first argument that is neither an option nor a program option's value: the command asked for. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}
