import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRecord } from '../../src/cli/inspect.js';
import { FIXTURES, golden } from './wfdb/helpers.js';

describe('efficientecg inspect (describeRecord)', () => {
  it('describes a WFDB record like wfdbdesc, with the documented JSON keys', async () => {
    const d = await describeRecord(`${FIXTURES}1.hea`);
    assert.deepEqual(
      [d.record, d.format, d.fs, d.n_samples, d.duration_s, d.age, d.sex, d.checksums_ok],
      ['1', 'wfdb 16', 500, 5000, 10, 51, 'female', true],
    );
    assert.equal(d.leads.length, 12);
    assert.deepEqual(d.leads[0], {
      name: 'i',
      units: 'mV',
      gain: 1716,
      baseline: 6,
      format: '16',
      adc_resolution: 0,
      adc_zero: 0,
      samples_per_frame: 1,
      checksum: { header: -32198, data: golden.records['1']!.checksums[0], ok: true },
    });
  });

  it('reports CinC 2017 placeholder checksums (fields of 0) as not recorded', async () => {
    const d = await describeRecord(`${FIXTURES}A00001.mat`);
    assert.equal(d.format, 'wfdb 16+24');
    assert.deepEqual([d.checksums_ok, d.checksum_status], [null, 'not recorded']);
  });
});
