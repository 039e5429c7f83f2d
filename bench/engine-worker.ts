/**
 * TypeScript side of bench/engine.ts: trains EfficientECG-B0 with the same settings as bench/engine_torch.py and
 * prints one JSON line. Usage: tsx bench/engine-worker.ts STEPS BATCH LEADS LENGTH THREADS WARMUP [TENSOR_CACHE]
 * TENSOR_CACHE: on (default, the addon's default) or off (libtorch's default allocator, glibc malloc).
 * PARITY_FILE (optional): after the timed steps (and the peak memory reading), writes there, as safetensors, the
 * trained state dict, an input `__x` (2 rows) and the eval-mode output `__y` of the model on it, for
 * bench/engine_torch.py to check the PyTorch twin against.
 */
import { writeFileSync } from 'node:fs';
import { engineStatus, manualSeed, noGrad, ops as F, scope, setNumThreads } from '../src/engine/index.js';
import { encodeSafetensors } from '../src/export/safetensors.js';
import { allocatorStats, setTensorCache } from '../src/engine/runtime.js';
import { EfficientECG, efficientEcgConfig } from '../src/models/efficientecg.js';
import { AdamW, weightDecayGroups } from '../src/optim/index.js';

const [steps, batch, leads, length, threads, warmup] = process.argv.slice(2, 8).map(Number) as number[];
const tensorCache = (process.argv[8] ?? 'on') === 'on';
const parityFile = process.argv[9];
setTensorCache(tensorCache);
setNumThreads(threads!);
manualSeed(0);
const model = new EfficientECG(efficientEcgConfig('b0', leads!, 5));
const optimizer = new AdamW(weightDecayGroups(model, 1e-3, 1e-2));
const x = F.randn([batch!, leads!, length!]);
const y = F.toDtype(F.gt(F.rand([batch!, 5]), 0.5), 'float32');

async function step(): Promise<void> {
  // As the trainer does: forward and backward in their own scope, so that the activations are released before the
  // optimizer update (Python frees them by reference counting when backward drops the graph).
  optimizer.zeroGrad();
  scope(() => F.bceWithLogits(model.forward(x), y).backward());
  optimizer.step();
  await new Promise((resolve) => setImmediate(resolve)); // as the trainer yields to its data loader
}

for (let i = 0; i < warmup!; i++) await step();
const start = performance.now();
for (let i = 0; i < steps!; i++) await step();
const elapsed = (performance.now() - start) / 1000;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
if (parityFile !== undefined) {
  model.eval();
  const state = model.exportState();
  scope(() => {
    const input = F.randn([2, leads!, length!]);
    const output = noGrad(() => model.forward(input));
    state.set('__x', { shape: [...input.shape], data: input.data() });
    state.set('__y', { shape: [...output.shape], data: output.data() });
  });
  writeFileSync(parityFile, encodeSafetensors(state));
}
const status = engineStatus();
console.log(
  JSON.stringify({
    engine: tensorCache ? 'typescript' : 'typescript (glibc malloc)',
    version: status.available ? `libtorch ${status.libtorchVersion}` : 'unavailable',
    parameters: model.numParameters(),
    samples_per_s: (steps! * batch!) / elapsed,
    peak_rss_mb: peakRssMb,
    peak_tensor_mb: allocatorStats().peakLiveBytes / 2 ** 20,
  }),
);
