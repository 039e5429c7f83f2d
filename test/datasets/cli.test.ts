import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerDatasets } from '../../src/cli/datasets.js';

const mitdb = fileURLToPath(new URL('../fixtures/datasets/mitdb/', import.meta.url));

async function run(args: string[]): Promise<string> {
  const program = new Command('efficientecg').exitOverride();
  registerDatasets(program);
  let output = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    output += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'efficientecg', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return output;
}

test('efficientecg datasets mitdb prints per-split record counts and skipped reasons', async () => {
  const text = await run(['datasets', 'mitdb', mitdb]);
  assert.match(text, /^mitdb: 22 entries, classes N, S, V, F, Q/);
  assert.match(text, /paced record \(excluded by de Chazal 2004\): 4 \(102 104 107 217\)/);
  const json = JSON.parse(await run(['datasets', 'mitdb', mitdb, '--json'])) as {
    entries: number;
    bySplit: Record<string, { entries: number }>;
  };
  assert.equal(json.entries, 22);
  assert.equal((json.bySplit.train?.entries ?? 0) + (json.bySplit.val?.entries ?? 0), 22);
});
