import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commands } from '../../src/cli/commands.js';
import { buildProgram, commandName } from '../../src/cli/program.js';

test('the command asked for is the first argument that is no option or program-option value', () => {
  assert.equal(commandName(['predict', 'a.hea', '--model', 'x']), 'predict');
  assert.equal(commandName(['--models-dir', 'predict', 'evaluate']), 'evaluate');
  assert.equal(commandName(['--models-dir=models', 'cv', '--folds', '5']), 'cv');
  assert.equal(commandName(['--help']), undefined);
  assert.equal(commandName([]), undefined);
});

test('only the named command is loaded; help and unknown commands load all', async () => {
  const names = async (args?: string[]) => (await buildProgram(args)).commands.map((c) => c.name());
  assert.deepEqual(await names(['predict', 'a.hea']), ['predict']);
  assert.deepEqual(await names(['--version']), []);
  const all = Object.keys(commands);
  assert.equal(all.length, 14);
  assert.deepEqual(await names(['--help']), all);
  assert.deepEqual(await names(['trian']), all);
  assert.deepEqual(await names(), all);
});
