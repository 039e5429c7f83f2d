// EDF+ with several 'EDF Annotations' signals: only the first TAL of the first annotation signal of each data
// record keeps time, and its shift applies to the TALs of every annotation signal of that record.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readEdfRecord } from '../../src/io/edf.js';

const pad = (text: string, width: number) => text.padEnd(width).slice(0, width);

interface Signal {
  label: string;
  samplesPerRecord: number;
}

/** An EDF+C file of `records` one-second data records; `data(r, i)` gives signal i's bytes in record r. */
function edfPlus(signals: Signal[], records: number, data: (r: number, i: number) => Uint8Array): Uint8Array {
  const n = signals.length;
  const field = (value: (s: Signal) => string, width: number) =>
    signals.map((s) => pad(value(s), width)).join('');
  const header =
    pad('0', 8) +
    pad('X M 01-JAN-1980 X', 80) +
    pad('Startdate 01-JAN-2020 X X X', 80) +
    '01.01.20' +
    '00.00.00' +
    pad(String(256 * (n + 1)), 8) +
    pad('EDF+C', 44) +
    pad(String(records), 8) +
    pad('1', 8) +
    pad(String(n), 4) +
    field((s) => s.label, 16) +
    field(() => '', 80) +
    field(() => 'mV', 8) +
    field(() => '-1', 8) +
    field(() => '1', 8) +
    field(() => '-32768', 8) +
    field(() => '32767', 8) +
    field(() => '', 80) +
    field((s) => String(s.samplesPerRecord), 8) +
    field(() => '', 32);
  const parts = [Buffer.from(header, 'latin1')];
  for (let r = 0; r < records; r++) for (let i = 0; i < n; i++) parts.push(Buffer.from(data(r, i)));
  return new Uint8Array(Buffer.concat(parts));
}

function tal(text: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out.set(Buffer.from(text, 'latin1'));
  return out;
}

test('a second annotation signal is timed by the first annotation signal time-keeping TAL, not by its own first TAL', () => {
  const signals = [
    { label: 'ECG', samplesPerRecord: 4 },
    { label: 'EDF Annotations', samplesPerRecord: 30 },
    { label: 'EDF Annotations', samplesPerRecord: 30 },
  ];
  // The file starts 10 s into the recording (time-keeping onsets +10, +11): onsets are relative to the first sample.
  const bytes = edfPlus(signals, 2, (r, i) => {
    if (i === 0) return new Uint8Array(8);
    if (i === 1) return tal(`+${10 + r}\x14\x14\0` + (r === 1 ? '+11.5\x14A in first\x14\0' : ''), 60);
    return tal(r === 0 ? '+10.25\x14B in second\x14\0' : '+11.75\x14C in second\x14\0+11.8\x14\x14\0', 60);
  });
  const record = readEdfRecord(bytes, 'two-annotation-signals.edf');
  assert.deepEqual(record.metadata.annotations, [
    { onset: 0.25, duration: 0, text: 'B in second' },
    { onset: 1.5, duration: 0, text: 'A in first' },
    { onset: 1.75, duration: 0, text: 'C in second' },
  ]);
});
