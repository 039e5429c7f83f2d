#!/usr/bin/env node
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
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
