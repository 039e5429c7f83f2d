/**
 * fetchWfdbFiles reads a multi-segment record's files at most CONCURRENT_FETCHES at a time (over URLs each read is
 * a connection: a master of 40 segments opened 40 at once), and still reads every one of them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWfdbHeader } from '../../../src/io/wfdb/header.js';
import { CONCURRENT_FETCHES, fetchWfdbFiles } from '../../../src/io/wfdb/record.js';

test('a master of 40 segments: every segment header and data file read, never more than CONCURRENT_FETCHES at once', async () => {
  const segments = Array.from({ length: 40 }, (_, i) => `s${i}`);
  const master = parseWfdbHeader(
    [`m/40 1 250 ${40 * 4}`, ...segments.map((name) => `${name} 4`)].join('\n'),
    'm.hea',
  );
  let inFlight = 0;
  let most = 0;
  const asked: string[] = [];
  const read = async (name: string): Promise<Uint8Array> => {
    asked.push(name);
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 2));
    inFlight--;
    const stem = name.replace(/\.(hea|dat)$/, '');
    return name.endsWith('.hea')
      ? new TextEncoder().encode(`${stem} 1 250 4\n${stem}.dat 16 200 16 0 0 0 0 II\n`)
      : new Uint8Array(8);
  };
  const files = await fetchWfdbFiles(master, read);
  assert.equal(files.size, 80);
  assert.deepEqual(new Set(asked), new Set(segments.flatMap((s) => [`${s}.hea`, `${s}.dat`])));
  assert.equal(most, CONCURRENT_FETCHES);
});
