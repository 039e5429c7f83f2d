/**
 * Replays the fuzz regression corpus (test/fixtures/fuzz-regressions, written by
 * `npx tsx bench/fuzz.ts --save DIR --cases 20000 --seed 7`): per target, the first case of each kind of outcome
 * and the slowest cases of that pass, as files. Each must end as it did when saved: parsed, or the same typed
 * error with a bounded message; never a crash. Time and memory per case are the fuzz bench's job.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TARGETS, type FuzzInput } from '../../bench/fuzz/targets.js';
import { EcgError, MAX_MESSAGE_CHARS } from '../../src/errors.js';

const CORPUS = fileURLToPath(new URL('../fixtures/fuzz-regressions/', import.meta.url));

interface SavedCase {
  case: number;
  target: string;
  outcome: string;
  options: FuzzInput['options'];
  detect: boolean;
}

const { cases } = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { cases: SavedCase[] };

function inputOf(saved: SavedCase): FuzzInput {
  const folder = join(CORPUS, `${saved.target}-${saved.case}`);
  const files = new Map(
    readdirSync(folder).map((name) => [name, new Uint8Array(readFileSync(join(folder, name)))]),
  );
  return { files, options: saved.options, detect: saved.detect };
}

async function outcomeOf(saved: SavedCase): Promise<string> {
  const target = TARGETS.find((t) => t.name === saved.target);
  assert.ok(target, `unknown fuzz target ${saved.target}`);
  try {
    await target.run(inputOf(saved));
    return 'ok';
  } catch (error) {
    assert.ok(
      error instanceof EcgError,
      `${saved.target}-${saved.case}: not a typed error: ${String(error)}`,
    );
    assert.ok(error.message.length <= MAX_MESSAGE_CHARS, `${saved.target}-${saved.case}: message too long`);
    return error.name;
  }
}

describe('fuzz regression corpus', () => {
  it('holds a few hundred cases over every target', () => {
    assert.ok(cases.length >= 200, `${cases.length} cases`);
    assert.deepEqual([...new Set(cases.map((c) => c.target))].sort(), TARGETS.map((t) => t.name).sort());
  });
  for (const target of TARGETS) {
    it(`${target.name}: every saved case ends as it did when saved`, async () => {
      for (const saved of cases.filter((c) => c.target === target.name))
        assert.equal(await outcomeOf(saved), saved.outcome, `${saved.target}-${saved.case}`);
    });
  }
});
