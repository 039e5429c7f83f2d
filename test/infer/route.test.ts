/** Routing records to the bundled default models by their leads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { routeRecord } from '../../src/infer/route.js';
import { defaultModels, readCatalog } from '../../src/models/bundled.js';

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

test('a model lead given as alternatives is present when the record has one of them', () => {
  const beat = { name: 'beat', leads: ['MLII', 'V1|V2|V5|V4'] };
  assert.equal(routeRecord(['MLII', 'V1', 'V5'], [...candidates, beat]).name, 'beat');
  assert.equal(routeRecord(['V4', 'RESP', 'II'], [...candidates, beat]).name, 'beat');
  assert.equal(
    routeRecord(['MLII', 'V3', 'V6'], [...candidates, beat]).name,
    'mitdb',
    'no alternative present',
  );
});

test('the shipped defaults: a 3-lead Holter record [MLII, V1, V5] goes to the default beat model', () => {
  const catalogued = defaultModels(readCatalog(new URL('../../models/', import.meta.url).pathname));
  const beat = catalogued.find((m) => m.dataset === 'mitdb')!;
  assert.ok(
    beat.leads.some((lead) => lead.includes('|')),
    `beat default reads alternatives: ${beat.leads}`,
  );
  const shipped = catalogued.map((m) => ({ name: m.name, leads: m.leads }));
  assert.equal(routeRecord(['MLII', 'V1', 'V5'], shipped).name, beat.name);
  assert.equal(routeRecord(['MLII', 'V5', 'V1'], shipped).name, beat.name);
  assert.equal(routeRecord(TWELVE, shipped).name, catalogued.find((m) => m.dataset === 'ptbxl')!.name);
});
