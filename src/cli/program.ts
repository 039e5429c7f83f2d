import { Command } from 'commander';
import { packageVersion } from '../version.js';
import { commands } from './commands.js';

/** The `efficientecg` command line: one file per command under src/cli, registered in commands.ts. */
export function buildProgram(): Command {
  const program = new Command('efficientecg')
    .description('Read ECGs, train EfficientECG models on libtorch, diagnose with onnxruntime.')
    .version(packageVersion(), '-V, --version')
    .option('--models-dir <dir>', 'bundled-model catalogue folder (default: the package models/)')
    .showHelpAfterError();
  for (const register of commands) register(program);
  return program;
}
