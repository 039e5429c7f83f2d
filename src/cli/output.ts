/**
 * Where a command writes: commander's configured output (stdout/stderr unless configured otherwise), so that tests
 * can run commands in process and read what they print without touching process.stdout.
 */
import type { Command } from 'commander';

export interface CommandOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function commandOutput(command: Command): CommandOutput {
  const config = command.configureOutput();
  return {
    out: (text) => (config.writeOut ?? ((s: string) => process.stdout.write(s)))(text),
    err: (text) => (config.writeErr ?? ((s: string) => process.stderr.write(s)))(text),
  };
}
