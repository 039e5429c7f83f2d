/**
 * Runs the CLI in this process (no start-up cost: modules are loaded once per test file) and collects what the
 * command writes through commander's output (src/cli/output.ts); process.stdout is left alone, it belongs to the
 * test reporter. Errors are returned, not thrown, as the CLI entry would report them.
 */
import { buildProgram } from '../../src/cli/program.js';

export interface CliRun {
  stdout: string;
  stderr: string;
  error: Error | null;
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const program = (await buildProgram(args)).exitOverride();
  for (const command of [program, ...program.commands]) {
    // A bad option value throws a CommanderError instead of exiting the test process.
    command
      .exitOverride()
      .configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
  }
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  let error: Error | null = null;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (caught) {
    error = caught as Error;
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return { stdout: out.join(''), stderr: err.join(''), error };
}
