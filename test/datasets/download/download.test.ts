import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadDataset } from '../../../src/datasets/download/index.js';
import { fetchFile } from '../../../src/datasets/download/fetch-file.js';
import { parseSha256Sums, SOURCES } from '../../../src/datasets/download/sources.js';
import { openCinc2017 } from '../../../src/datasets/cinc2017.js';
import { ChecksumError, FormatError, NetworkError } from '../../../src/errors.js';

const mirrorRoot = fileURLToPath(new URL('../../fixtures/datasets/mirror/', import.meta.url));

/** A tiny static server over the fixture mirror, with hooks to break transfers and corrupt files. */
interface Behaviour {
  /** Paths whose next response is cut after this many bytes. */
  cutAfter: Map<string, number>;
  /** Paths served with different bytes than the checksum list says. */
  corrupt: Set<string>;
  /** Paths served without Range support. */
  noRange: Set<string>;
  requests: Array<{ path: string; range: string | undefined; status: number }>;
}
const behaviour: Behaviour = { cutAfter: new Map(), corrupt: new Set(), noRange: new Set(), requests: [] };
let server: Server;
let baseUrl = '';

before(async () => {
  server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname).slice(1);
    const file = join(mirrorRoot, path);
    if (path.includes('..') || !existsSync(file)) {
      behaviour.requests.push({ path, range: request.headers.range, status: 404 });
      response.writeHead(404).end('not found');
      return;
    }
    let body = readFileSync(file);
    if (behaviour.corrupt.has(path))
      body = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from([body.at(-1)! ^ 1])]);
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    let status = 200;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
    if (range && !behaviour.noRange.has(path)) {
      const start = Number(range[1]);
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
      body = body.subarray(start);
      status = 206;
    }
    headers['content-length'] = body.length;
    behaviour.requests.push({ path, range: request.headers.range, status });
    response.writeHead(status, headers);
    const cut = behaviour.cutAfter.get(path);
    if (cut !== undefined) {
      behaviour.cutAfter.delete(path);
      // Give the client time to receive the first bytes before the connection drops.
      response.write(body.subarray(0, cut), () => setTimeout(() => response.destroy(), 100));
      return;
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  baseUrl = `http://127.0.0.1:${address.port}/`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const freshDir = () => mkdtempSync(join(tmpdir(), 'eecg-download-'));
const reset = () => {
  behaviour.cutAfter.clear();
  behaviour.corrupt.clear();
  behaviour.noRange.clear();
  behaviour.requests.length = 0;
};

test('full PhysioNet-layout download: every listed file, byte-identical, sums saved, second run fetches nothing', async () => {
  reset();
  const dest = freshDir();
  try {
    const progress: number[] = [];
    const summary = await downloadDataset('mitdb', {
      dest,
      mirror: `${baseUrl}mitdb`,
      onProgress: (p) => progress.push(p.filesDone),
    });
    assert.deepEqual(summary.files, { downloaded: 3, resumed: 0, 'already-present': 0 });
    assert.equal(summary.verified, true);
    for (const name of ['RECORDS', '101.hea', '101.atr', 'SHA256SUMS.txt']) {
      assert.deepEqual(readFileSync(join(dest, name)), readFileSync(join(mirrorRoot, 'mitdb', name)), name);
    }
    assert.equal(Math.max(...progress), 3);
    assert.equal(
      summary.bytes,
      ['RECORDS', '101.hea', '101.atr'].reduce((s, n) => s + readFileSync(join(dest, n)).length, 0),
    );
    assert.deepEqual(
      readdirSync(dest).filter((n) => n.endsWith('.part') || n.endsWith('.tmp')),
      [],
    );
    const again = await downloadDataset('mitdb', { dest, mirror: `${baseUrl}mitdb` });
    assert.deepEqual(again.files, { downloaded: 0, resumed: 0, 'already-present': 3 });
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test('an interrupted transfer keeps its .part file and the next run resumes it with a Range request', async () => {
  reset();
  const dest = freshDir();
  try {
    behaviour.cutAfter.set('mitdb/101.atr', 1000);
    await assert.rejects(
      downloadDataset('mitdb', { dest, mirror: `${baseUrl}mitdb`, concurrency: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof NetworkError);
        assert.match(error.message, /101\.atr: transfer (interrupted|ended) after 1000 /);
        return true;
      },
    );
    assert.equal(readFileSync(join(dest, '101.atr.part')).length, 1000);
    assert.equal(existsSync(join(dest, '101.atr')), false);
    const summary = await downloadDataset('mitdb', { dest, mirror: `${baseUrl}mitdb` });
    assert.equal(summary.files.resumed, 1);
    const resumed = behaviour.requests.filter((r) => r.path === 'mitdb/101.atr' && r.range !== undefined);
    assert.deepEqual(resumed, [{ path: 'mitdb/101.atr', range: 'bytes=1000-', status: 206 }]);
    assert.deepEqual(readFileSync(join(dest, '101.atr')), readFileSync(join(mirrorRoot, 'mitdb', '101.atr')));
    assert.equal(existsSync(join(dest, '101.atr.part')), false);
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test('a server that ignores Range restarts the file from zero and still verifies', async () => {
  reset();
  const dest = freshDir();
  try {
    const url = `${baseUrl}mitdb/101.atr`;
    const sha =
      parseSha256Sums(readFileSync(join(mirrorRoot, 'mitdb', 'SHA256SUMS.txt'), 'utf8'), 's').get(
        '101.atr',
      ) ?? null;
    writeFileSync(join(dest, '101.atr.part'), 'garbage that is not the start of the file');
    behaviour.noRange.add('mitdb/101.atr');
    assert.equal(await fetchFile(url, join(dest, '101.atr'), { sha256: sha }), 'downloaded');
    assert.deepEqual(readFileSync(join(dest, '101.atr')), readFileSync(join(mirrorRoot, 'mitdb', '101.atr')));
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test('checksum mismatch: ChecksumError naming the URL, and the bad file is not kept', async () => {
  reset();
  const dest = freshDir();
  try {
    behaviour.corrupt.add('mitdb/101.hea');
    await assert.rejects(
      downloadDataset('mitdb', { dest, mirror: `${baseUrl}mitdb`, concurrency: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof ChecksumError);
        assert.match(
          error.message,
          /^http:\/\/127\.0\.0\.1:\d+\/mitdb\/101\.hea: SHA-256 mismatch: expected d5f02fbe/,
        );
        return true;
      },
    );
    assert.equal(existsSync(join(dest, '101.hea')), false);
    assert.equal(existsSync(join(dest, '101.hea.part')), false);
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test('archives are fetched by name from the sums list and unpacked once', async () => {
  reset();
  const dest = freshDir();
  try {
    const summary = await downloadDataset('cinc2017', { dest, mirror: `${baseUrl}cinc2017` });
    assert.deepEqual(summary.files, { downloaded: 2, resumed: 0, 'already-present': 0 });
    assert.deepEqual(summary.extracted, { 'training2017.zip': 3 });
    assert.equal(readFileSync(join(dest, 'training2017', 'RECORDS'), 'utf8'), 'A00001\nA00002\n');
    assert.match(readFileSync(join(dest, 'training2017', 'A00001.hea'), 'utf8'), /^A00001 1 300 9000/);
    assert.equal(readFileSync(join(dest, 'REFERENCE-v3.csv'), 'utf8'), 'A00001,N\nA00002,N\n');
    // The unlisted training/other.hea in the mirror's sums is not part of the cinc2017 plan.
    assert.equal(
      behaviour.requests.some((r) => r.path.includes('other.hea')),
      false,
    );
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test('download cinc2017, then --data DEST/training2017 (as its description says) reads the v3 labels', async () => {
  reset();
  const dest = freshDir();
  try {
    await downloadDataset('cinc2017', { dest, mirror: `${baseUrl}cinc2017-v3` });
    assert.match(SOURCES.cinc2017.description, /--data DEST\/training2017/);
    // The zip's own REFERENCE.csv holds the 2017 labels (A07615 N, A08050 O); REFERENCE-v3.csv sits one level up.
    assert.equal(
      readFileSync(join(dest, 'training2017', 'REFERENCE.csv'), 'utf8'),
      'A05493,N\nA07615,N\nA08050,O\n',
    );
    const dataset = await openCinc2017(join(dest, 'training2017'));
    assert.deepEqual(
      dataset.entries.map((entry) => [entry.id, dataset.classes[entry.labels[0]!]]),
      [
        ['A05493', 'N'],
        ['A07615', '~'],
        ['A08050', 'A'],
      ],
    );
    assert.equal(dataset.split.parameters['labels'], '../REFERENCE-v3.csv');
    assert.equal((await dataset.load('A08050')).record.fs, 300);
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test('HTTP errors and malformed sums are typed errors naming the URL', async () => {
  reset();
  const dest = freshDir();
  try {
    await assert.rejects(downloadDataset('ludb', { dest, mirror: `${baseUrl}nowhere` }), (error: unknown) => {
      assert.ok(error instanceof NetworkError);
      assert.match(error.message, /\/nowhere\/SHA256SUMS\.txt: HTTP 404/);
      return true;
    });
    await assert.rejects(downloadDataset('ludb', { dest, mirror: 'http://127.0.0.1:1/' }), NetworkError);
    assert.throws(
      () => parseSha256Sums('abc  file\n', 'http://m/SHA256SUMS.txt'),
      (error: unknown) => {
        assert.ok(error instanceof FormatError);
        assert.match(error.message, /^http:\/\/m\/SHA256SUMS\.txt: line 1 is not/);
        return true;
      },
    );
    assert.deepEqual(
      [...parseSha256Sums(`${'a'.repeat(64)} *./x/y.hea\r\n`, 's')],
      [['x/y.hea', 'a'.repeat(64)]],
    );
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});
