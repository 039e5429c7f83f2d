// URL byte sources against a local server that ignores Range (answers 200 with the whole file) or honours it.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FormatError } from '../../src/errors.js';
import { urlSource } from '../../src/io/source.js';

const FILE = Uint8Array.from({ length: 4 * 2 ** 20 }, (_, i) => (i * 7) & 0xff);
const MIB = 2 ** 20;

describe('urlSource.readRange', () => {
  let base = '';
  const server = createServer((request, response) => {
    const range = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? '');
    if (request.url === '/ranged' && range) {
      const [start, last] = [Number(range[1]), Number(range[2])];
      response.writeHead(206, { 'content-range': `bytes ${start}-${last}/${FILE.length}` });
      response.end(FILE.subarray(start, last + 1));
    } else if (request.url === '/endless') {
      response.write(FILE.subarray(0, 64 * 1024)); // and never ends: only a reader that stops returns
    } else response.end(FILE); // ignores Range
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('a range larger than maxFileBytes is refused, whether the server honours Range or not', async () => {
    for (const path of ['whole', 'ranged'])
      await assert.rejects(
        urlSource(`${base}${path}`, { maxFileBytes: MIB }).readRange!(0, 2 * MIB),
        (e: unknown) => e instanceof FormatError && /exceeds the limit of 1048576 bytes/.test(e.message),
      );
  });

  it(
    'a 200 answer is read only as far as the range end, and refused when that is past maxFileBytes',
    {
      timeout: 10_000,
    },
    async () => {
      const bytes = await urlSource(`${base}endless`, { maxFileBytes: MIB }).readRange!(10, 20);
      assert.deepEqual(bytes, FILE.subarray(10, 20));
      const late = (path: string) =>
        urlSource(`${base}${path}`, { maxFileBytes: MIB }).readRange!(2 * MIB, 2 * MIB + 8);
      await assert.rejects(late('whole'), /file of 4194304 bytes exceeds the limit of 1048576 bytes/);
      assert.deepEqual(await late('ranged'), FILE.subarray(2 * MIB, 2 * MIB + 8));
    },
  );

  it('the bytes of a range, from a 200 or a 206 answer alike', async () => {
    for (const path of ['whole', 'ranged'])
      assert.deepEqual(
        await urlSource(`${base}${path}`).readRange!(3 * MIB - 5, 3 * MIB + 7),
        FILE.subarray(3 * MIB - 5, 3 * MIB + 7),
        path,
      );
  });
});
