// Byte sources against hostile headers and servers: data-file names that only resolve out of the header's folder,
// servers that never answer, windows of files larger than maxFileBytes, local paths with `#` and `?`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FormatError, NetworkError } from '../../src/errors.js';
import { readRecord } from '../../src/io/read.js';
import { baseName, extension, pathSource, urlSource } from '../../src/io/source.js';

const DATA = Buffer.from([1, 0, 2, 0, 3, 0, 4, 0]); // 4 samples, format 16

describe('URL sources', () => {
  const hits: string[] = [];
  const stalled: ServerResponse[] = [];
  let base = '';
  const headers: Record<string, string> = {
    '/db/rec/encoded.hea': 'encoded 1 250 4\n%2e%2e/%2e%2e/secret.dat 16 200 16 0 0 0 0 I\n',
    '/db/rec/dotted.hea': 'dotted 1 250 4\n.%2e/x.dat 16 200 16 0 0 0 0 I\n',
    '/db/rec/host.hea': 'host 1 250 4\nhttps:evil.example/x.dat 16 200 16 0 0 0 0 I\n',
    '/db/rec/scheme.hea': 'scheme 1 250 4\nhttps: 16 200 16 0 0 0 0 I\n',
    '/db/rec/ok.hea': 'ok 1 250 4\nsub/ok.dat 16 200 16 0 0 0 0 I\n',
  };
  const server = createServer((request, response) => {
    hits.push(request.url!);
    const header = headers[request.url!];
    if (header !== undefined) return response.end(header);
    if (request.url === '/secret.dat' || request.url === '/db/x.dat' || request.url === '/db/rec/sub/ok.dat')
      return response.end(DATA);
    if (request.url === '/unsatisfiable') {
      response.statusCode = 416; // Range Not Satisfiable, with an error page as its body
      return response.end('<html>416</html>');
    }
    if (request.url === '/silent') return void stalled.push(response); // never answers
    if (request.url === '/trickle') {
      response.write(DATA.subarray(0, 2)); // and then nothing more
      return void stalled.push(response);
    }
    response.statusCode = 404;
    response.end();
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    for (const response of stalled) response.destroy();
    server.closeAllConnections();
    server.close();
  });

  it('a 416 answer is an empty range past the end for a range read, but an error for a whole read (not its body)', async () => {
    assert.deepEqual(await urlSource(`${base}/unsatisfiable`).readRange!(100, 108), new Uint8Array(0));
    await assert.rejects(
      urlSource(`${base}/unsatisfiable`).read(),
      (e: unknown) => e instanceof FormatError && /HTTP 416/.test(e.message),
    );
  });

  it('refuses data-file names that resolve outside the header folder or host, before requesting them', async () => {
    for (const name of ['encoded', 'dotted', 'host']) {
      hits.length = 0;
      await assert.rejects(
        readRecord(`${base}/db/rec/${name}.hea`),
        (e: unknown) =>
          e instanceof FormatError &&
          e.source === `${base}/db/rec/${name}.hea` &&
          /leaves the record's folder/.test(e.message),
        name,
      );
      assert.deepEqual(hits, [`/db/rec/${name}.hea`], name);
    }
    const inside = await readRecord(`${base}/db/rec/ok.hea`);
    assert.deepEqual(inside.signals[0], Float32Array.of(0.005, 0.01, 0.015, 0.02));
    // allowOutsideFolder still follows an encoded climb on the same host.
    const followed = await readRecord(`${base}/db/rec/encoded.hea`, { allowOutsideFolder: true });
    assert.equal(followed.signals[0]!.length, 4);
  });

  it('a data-file name that is no valid URL is a FormatError naming the header, not a TypeError', async () => {
    for (const allowOutsideFolder of [false, true])
      await assert.rejects(
        readRecord(`${base}/db/rec/scheme.hea`, { allowOutsideFolder }),
        (e: unknown) =>
          e instanceof FormatError &&
          e.source === `${base}/db/rec/scheme.hea` &&
          /names the file "https:", which is not a valid URL/.test(e.message),
      );
  });

  it(
    'a server that never answers, or stalls mid-body, ends in a NetworkError naming the URL',
    { timeout: 10_000 },
    async () => {
      const options = { headersTimeoutMs: 300, idleTimeoutMs: 300 };
      const started = Date.now();
      await assert.rejects(
        urlSource(`${base}/silent`, options).read(),
        (e: unknown) =>
          e instanceof NetworkError && e.source === `${base}/silent` && /headersTimeoutMs/.test(e.message),
      );
      await assert.rejects(
        urlSource(`${base}/trickle`, options).readRange!(0, 8),
        (e: unknown) =>
          e instanceof NetworkError && e.source === `${base}/trickle` && /idleTimeoutMs/.test(e.message),
      );
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      // An answer in time is read as before.
      assert.deepEqual(await urlSource(`${base}/secret.dat`, options).read(), new Uint8Array(DATA));
    },
  );
});

describe('path sources', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecg-source-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a window of a file larger than maxFileBytes is read; a window larger than it is not', async () => {
    const path = join(dir, 'big.dat');
    writeFileSync(path, '');
    truncateSync(path, 4 * 2 ** 20); // sparse: no disk space used
    const source = pathSource(path, { maxFileBytes: 2 ** 20 });
    assert.deepEqual(await source.readRange!(3 * 2 ** 20, 3 * 2 ** 20 + 10), new Uint8Array(10));
    await assert.rejects(source.read(), /file of 4194304 bytes exceeds the limit of 1048576 bytes/);
    await assert.rejects(
      source.readRange!(0, 2 * 2 ** 20),
      (e: unknown) =>
        e instanceof FormatError &&
        e.source === path &&
        /a read of 2097152 bytes exceeds the limit/.test(e.message),
    );
    // Through readRecord: a window of a record whose data file exceeds the per-file limit.
    writeFileSync(join(dir, 'big.hea'), 'big 1 250 2097152\nbig.dat 16 200 16 0 0\n');
    const window = await readRecord(join(dir, 'big.hea'), {
      from: 1000,
      to: 1010,
      limits: { maxFileBytes: 2 ** 20 },
    });
    assert.deepEqual(Array.from(window.signals[0]!), new Array(10).fill(0));
    rmSync(path);
  });

  it('reads local paths whose folders contain # or ?', async () => {
    assert.equal(baseName('/data/run#1/t.csv'), 't.csv');
    assert.equal(extension('/data/q?x/A.mat'), 'mat');
    assert.equal(baseName('https://host/db/a.hea?token=1#x'), 'a.hea');
    assert.equal(baseName('/data/exams_part0.hdf5#1000001'), 'exams_part0.hdf5'); // an HDF5 exam name
    for (const folder of ['run#1', 'q?x']) {
      mkdirSync(join(dir, folder));
      writeFileSync(join(dir, folder, 'rec.hea'), 'rec 1 250 4\nrec.dat 16 200 16 0 0\n');
      writeFileSync(join(dir, folder, 'rec.dat'), DATA);
      writeFileSync(join(dir, folder, 't.csv'), 'a,b\n1,2\n3,4\n');
      const wfdb = await readRecord(join(dir, folder, 'rec.hea'));
      assert.deepEqual(wfdb.signals[0], Float32Array.of(0.005, 0.01, 0.015, 0.02), folder);
      const csv = await readRecord(join(dir, folder, 't.csv'), { fs: 100 });
      assert.deepEqual(csv.leads, ['a', 'b'], folder);
    }
  });
});

describe('a large file named .hea', () => {
  it('is refused after reading one header past the limit, with a message saying it is no header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecg-big-hea-'));
    try {
      const path = join(dir, 'big.hea');
      writeFileSync(path, 'big 1 250 4\n');
      truncateSync(path, 64 << 20); // 64 MiB, sparse: only the first bytes are a header line
      await assert.rejects(
        readRecord(path),
        (e: unknown) =>
          e instanceof FormatError && /header is too large \(over 1048576 characters\)/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
