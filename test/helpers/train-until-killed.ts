/**
 * Child process of test/train/crash-consistency.test.ts: trains the tiny synthetic run in `out` and, when
 * `killAt` >= 0, SIGKILLs itself just before the killAt-th step (0-based) of its run-file writes, as a power cut
 * or an OOM kill would. Prints one JSON line per write step it reached: {"step", "file"}.
 *
 *   node --import tsx test/helpers/train-until-killed.ts OUT EPOCHS KILL_AT [--resume]
 */
import { basename } from 'node:path';
import { train } from '../../src/train/index.js';
import { syntheticDataset } from '../train/synthetic.js';
import { tinyConfig } from '../train/helpers.js';

const [out, epochs, killAt, resume] = process.argv.slice(2);
let seen = 0;
await train(
  tinyConfig(out!, { epochs: Number(epochs), logEvery: 1 }),
  syntheticDataset({ leads: 2, labelKind: 'multi-label' }),
  {
    resume: resume === '--resume',
    progressBar: false,
    beforeWriteStep: (step, path) => {
      if (seen++ === Number(killAt)) process.kill(process.pid, 'SIGKILL');
      process.stdout.write(`${JSON.stringify({ step, file: basename(path) })}\n`);
    },
  },
);
