/**
 * Writes a checkpoint's weights and metadata without its optimiser state (a run's last.safetensors carries AdamW's
 * moments to resume; a checkpoint to share or to start other runs from does not need them), atomically.
 *
 *   npx tsx scripts/weights-only.ts IN.safetensors OUT.safetensors
 */
import { readCheckpoint, saveCheckpoint } from '../src/export/checkpoint.js';
import { modelFromCheckpoint } from '../src/models/registry.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: npx tsx scripts/weights-only.ts IN.safetensors OUT.safetensors\n');
  process.exit(2);
}
const checkpoint = readCheckpoint(input);
const module = modelFromCheckpoint(checkpoint, input);
saveCheckpoint(output, module, checkpoint.metadata);
module.dispose();
process.stdout.write(`${output}: ${checkpoint.state.size} tensors, no optimiser state\n`);
