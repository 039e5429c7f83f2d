/**
 * One rank of a data-parallel CV fold (test/train/distributed.test.ts), as its own process:
 *   tsx distributed-cv-rank.ts OUT RANK PORT
 * Trains the tiny EfficientECG (BatchNorm) one epoch as fold 1 of 2 of the synthetic dataset on 2 ranks; rank 0
 * writes last.safetensors and heldout.json, whose held-out logits must be the saved model's on every rank's share.
 */
import { ProcessGroup } from '../../src/engine/distributed.js';
import { DataParallel } from '../../src/train/distributed.js';
import { train } from '../../src/train/trainer.js';
import { NO_AUGMENTATION } from '../../src/train/config.js';
import { tinyConfig } from '../train/helpers.js';
import { syntheticDataset } from '../train/synthetic.js';

const [out, rankText, portText] = process.argv.slice(2);
const group = ProcessGroup.init({
  rank: Number(rankText),
  worldSize: 2,
  masterAddr: '127.0.0.1',
  masterPort: Number(portText),
  timeoutMs: 60_000,
});
const parallel = new DataParallel(group);
try {
  const config = tinyConfig(out!, {
    epochs: 1,
    batchSize: 16,
    cvFold: { folds: 2, fold: 1 },
    augment: NO_AUGMENTATION,
  });
  await train(config, syntheticDataset({ records: 48 }), {
    distributed: parallel,
    progressBar: false,
    force: true,
  });
  console.log(JSON.stringify({ done: true }));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).name, message: (error as Error).message }));
} finally {
  parallel.destroy();
}
