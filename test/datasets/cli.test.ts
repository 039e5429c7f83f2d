import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const mitdb = fileURLToPath(new URL('../fixtures/datasets/mitdb/', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));

const run = (args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' });

test('efficientecg datasets mitdb prints per-split record counts and skipped reasons', () => {
  const text = run(['datasets', 'mitdb', mitdb]);
  assert.match(text, /^mitdb: 22 entries, classes N, S, V, F, Q/);
  assert.match(text, /paced record \(excluded by de Chazal 2004\): 4 \(102 104 107 217\)/);
  const json = JSON.parse(run(['datasets', 'mitdb', mitdb, '--json'])) as {
    entries: number;
    bySplit: Record<string, { entries: number }>;
  };
  assert.equal(json.entries, 22);
  assert.equal((json.bySplit.train?.entries ?? 0) + (json.bySplit.val?.entries ?? 0), 22);
});

test('efficientecg datasets on a missing folder fails with the typed error naming it', () => {
  assert.throws(
    () =>
      execFileSync(process.execPath, ['--import', 'tsx', cli, 'datasets', 'ludb', '/nonexistent/ludb'], {
        encoding: 'utf8',
        stdio: 'pipe',
      }),
    (error: unknown) =>
      /MissingFileError: \/nonexistent\/ludb: dataset folder not found \(<dir>\)/.test(
        String((error as { stderr?: string }).stderr),
      ),
  );
});
