// WFDB writing of constant leads (wfdb-python's gain |1/p|, baseline 0) and of lead names or units that hold line
// breaks or other control characters (which would end the signal line).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EcgRecord } from '../../src/io/record.js';
import { wfdbRecordFromText } from '../../src/io/wfdb/record.js';
import { encodeWfdbRecord } from '../../src/io/wfdb/write.js';

function record(leads: string[], signals: Float32Array[], units = leads.map(() => 'mV')): EcgRecord {
  return { name: 'r', fs: 250, leads, units, signals, age: null, sex: 'unknown', metadata: {} } as EcgRecord;
}

test('a constant lead is written so that it reads back exactly (to float32), in formats 16 and 212', () => {
  const values = [0.4, 1.5, -0.3, 0, 7, -1234.5, 1e-6];
  const signals = values.map((v) => new Float32Array(5).fill(v));
  signals.push(Float32Array.of(0.4, NaN, 0.4, NaN, 0.4)); // constant apart from missing samples
  const input = record(
    signals.map((_, i) => `c${i}`),
    signals,
  );
  for (const format of [16, 212] as const) {
    const encoded = encodeWfdbRecord(input, { format });
    const back = wfdbRecordFromText(encoded.header, () => encoded.data, 'r.hea').record;
    back.signals.forEach((signal, lead) =>
      assert.deepEqual(signal, signals[lead], `format ${format} lead ${lead} (${values[lead] ?? 'gaps'})`),
    );
    assert.deepEqual(
      encoded.leads.slice(0, 4).map(({ gain, baseline }) => [gain, baseline]),
      [
        [Math.abs(1 / Math.fround(0.4)), 0],
        [1 / 1.5, 0],
        [Math.abs(1 / Math.fround(-0.3)), 0],
        [1, 1],
      ],
    );
  }
});

test('line breaks and control characters in lead names and units do not break the header', () => {
  const signals = [Float32Array.of(0, 1, 0, -1), Float32Array.of(1, 2, 3, 4)];
  const input = record(['II\nV9 line', 'a\r\nb\tc\u0000d\u2028e'], signals, ['m\nV', 'u\rV\u0007']);
  const encoded = encodeWfdbRecord(input);
  const lines = encoded.header.trimEnd().split('\n');
  assert.equal(lines.length, 3, encoded.header);
  assert.ok(!/[\p{Cc}\u2028]/u.test(encoded.header.replaceAll('\n', '')), JSON.stringify(encoded.header));
  const back = wfdbRecordFromText(encoded.header, () => encoded.data, 'r.hea').record;
  assert.deepEqual(back.leads, ['II V9 line', 'a  b c d e']);
  assert.deepEqual(back.units, ['m_V', 'u_V_']);
});
