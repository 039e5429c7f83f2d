#!/usr/bin/env node
import { buildProgram } from './program.js';
import { warnIfStaleBuild } from './stale-build.js';

// `efficientecg predict ... | head -1`: the reader has what it wanted and closed the pipe. Stop quietly with
// success, as cat or grep do, instead of an unhandled EPIPE stack trace; any other stdout error stays an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

warnIfStaleBuild();

buildProgram(process.argv.slice(2))
  .then((program) => program.parseAsync(process.argv))
  .catch((error: unknown) => {
    // Typed errors carry user-facing messages; anything else is a bug and keeps its stack.
    const message =
      error instanceof Error
        ? error.name === 'Error'
          ? error.stack
          : `${error.name}: ${error.message}`
        : String(error);
    process.stderr.write(`efficientecg: ${message}\n`);
    process.exitCode = 1;
  });
