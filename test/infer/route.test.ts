/** Routing records to the bundled default models by their leads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { routeRecord } from '../../src/infer/route.js';

const TWELVE = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];
const candidates = [
  { name: 'ptbxl', leads: TWELVE },
  { name: 'cinc2017', leads: ['ECG'] },
  { name: 'mitdb', leads: ['MLII'] },
];

test('a record goes to the model whose leads it has, the most leads first', () => {
  assert.equal(
    routeRecord(
      TWELVE.map((l) => l.toUpperCase()),
      candidates,
    ).name,
    'ptbxl',
  );
  assert.equal(routeRecord(['ECG'], candidates).name, 'cinc2017');
  assert.equal(routeRecord(['MLII', 'V1'], candidates).name, 'mitdb');
  assert.equal(routeRecord(['V5', 'II'], candidates).name, 'mitdb', 'II is MLII by alias');
  assert.equal(routeRecord(['lead1'], candidates).name, 'cinc2017', 'else the same lead count');
  assert.throws(
    () => routeRecord(['V1', 'V2'], candidates),
    (e: unknown) =>
      e instanceof ConfigError && /leads \[V1, V2\]/.test(e.message) && /pass --model/.test(e.message),
  );
});
