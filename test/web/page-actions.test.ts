/**
 * The page's controls used in any order: a pick still downloading while the model changes, Diagnose after a failed
 * read, an age the model cannot take, the state shown while a record loads. Record models are the tiny UNTRAINED dev
 * fixtures of test/server: A00001 (one lead) routes to dev-1lead-untrained, 00001_lr (12 leads) to the fusion model.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  DEV_1LEAD,
  DEV_FUSION,
  WFDB,
  delayed,
  fileParts,
  fixtureExamples,
  openBench,
  skip,
  sleep,
  textMatches,
  type Bench,
} from './browser.js';

let bench: Bench;
let page: Page;

before(async () => {
  if (skip) return;
  bench = await openBench(
    [DEV_1LEAD, DEV_FUSION],
    fixtureExamples({ '00001_lr': ['00001_lr.hea', '00001_lr.dat'], A00001: ['A00001.hea', 'A00001.mat'] }),
  );
  page = bench.page;
});

after(async () => {
  await bench?.close();
});

async function freshPage(): Promise<void> {
  await page.goto(bench.origin);
  await page.waitForFunction(() => document.querySelectorAll('#model-select option').length === 3);
}

const diagnosed = (model = '') => textMatches(page, 'status', new RegExp(`^Diagnosed with ${model}`));

async function showExample(name: string): Promise<void> {
  await page.selectOption('#example-select', name);
  await textMatches(page, 'record-info', new RegExp(`^${name}: `));
  await diagnosed();
}

/** The EcgResult on the page: its model and record name. */
async function shownResult(): Promise<{ model: string; record: string } | null> {
  const json = await page.getAttribute('#diagnosis', 'data-result');
  if (json === null) return null;
  const result = JSON.parse(json) as { model: string; record: { name: string } };
  return { model: result.model, record: result.record.name };
}

async function errorText(): Promise<string | null> {
  return (await page.isVisible('#error')) ? String(await page.textContent('#error')) : null;
}

/** Drops files on the drop zone as a browser does. */
async function drop(files: ReturnType<typeof fileParts>): Promise<void> {
  const parts = files.map((f) => ({ name: f.name, data: [...f.buffer] }));
  await page.evaluate((parts) => {
    const transfer = new DataTransfer();
    for (const p of parts) transfer.items.add(new File([new Uint8Array(p.data)], p.name));
    const zone = document.getElementById('drop-zone')!;
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, parts);
}

test('a new pick clears the old diagnosis at once and says the record is being read', { skip }, async () => {
  await freshPage();
  await showExample('A00001');
  await page.route('**/examples/00001_lr/**', delayed(2000));
  try {
    await page.selectOption('#example-select', '00001_lr');
    assert.equal(await page.$('#predicted'), null, 'no diagnosis of A00001 while 00001_lr loads');
    assert.equal(await shownResult(), null);
    assert.match(String(await page.textContent('#status')), /^Reading /);
    await textMatches(page, 'record-info', /^00001_lr: /);
    await diagnosed();
  } finally {
    await page.unrouteAll();
  }
});

test(
  'a pick still downloading when the model changes or Diagnose is clicked arrives, diagnosed with the model then selected',
  { skip },
  async () => {
    await freshPage();
    await showExample('A00001');
    await page.route('**/examples/00001_lr/**', delayed(2000));
    try {
      await page.selectOption('#example-select', '00001_lr');
      await sleep(200);
      await page.selectOption('#model-select', 'dev-1lead-untrained');
      await page.click('#diagnose');
      await textMatches(page, 'record-info', /^00001_lr: /, 15_000);
      await diagnosed('dev-1lead-untrained');
      assert.deepEqual(await shownResult(), { model: 'dev-1lead-untrained', record: '00001_lr' });
      assert.equal(await errorText(), null);
    } finally {
      await page.unrouteAll();
    }
  },
);

test(
  'an age the model cannot take is an error on that field, and the progress bar goes',
  { skip },
  async () => {
    await freshPage();
    await showExample('00001_lr'); // the fusion model reads the age
    await page.fill('#age', '131');
    await page.click('#diagnose');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(String(await errorText()), /age: must be 0-130 years, got 131/);
    assert.equal(await page.isVisible('#progress'), false, 'no progress bar left after the error');
    assert.equal(await page.getAttribute('#age', 'aria-invalid'), 'true');
    await page.fill('#age', '60');
    await page.click('#diagnose');
    await diagnosed('dev-12lead-fusion-untrained');
    assert.equal(await errorText(), null);
    assert.equal(await page.getAttribute('#age', 'aria-invalid'), null);
  },
);

test(
  'an age of 140 in a record header is no error; a fusion model takes it as unknown and says so',
  { skip },
  async () => {
    await freshPage();
    // The header's own age line (00001_lr has one) or a new one (A00001 has none).
    const aged = (name: string) => {
      const text = fileParts(WFDB, [name])[0]!.buffer.toString();
      return { [name]: /#Age:/.test(text) ? text.replace(/#Age: \d+/, '#Age: 140') : `${text}#Age: 140\n` };
    };
    await page.setInputFiles(
      '#file-input',
      fileParts(WFDB, ['A00001.hea', 'A00001.mat'], aged('A00001.hea')),
    );
    await diagnosed('dev-1lead-untrained');
    assert.equal(await errorText(), null);
    const fusion = ['00001_lr.hea', '00001_lr.dat'];
    await page.setInputFiles('#file-input', fileParts(WFDB, fusion, aged('00001_lr.hea')));
    await textMatches(page, 'record-info', /^00001_lr: /);
    await diagnosed('dev-12lead-fusion-untrained');
    assert.equal(await errorText(), null);
    assert.equal(await page.inputValue('#age'), '140');
    assert.match(
      String(await page.textContent('#diagnosis')),
      /age 140 .*outside 0-130 years: taken as unknown/,
    );
  },
);

const CSV = `II\n${Array.from({ length: 3000 }, (_, i) => (Math.sin(i / 10) * 0.5).toFixed(4)).join('\n')}\n`;
const csvFile = [{ name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) }];

test(
  'a CSV without a time column is read again once Hz is given, and Diagnose diagnoses it',
  { skip },
  async () => {
    await freshPage();
    await page.click('#diagnose');
    assert.match(String(await errorText()), /no record to diagnose/i);
    await showExample('A00001');
    await page.setInputFiles('#file-input', csvFile);
    await page.waitForFunction(() => /Hz field/.test(document.getElementById('error')!.textContent ?? ''));
    assert.equal(await page.inputValue('#file-input'), '', 'the same file can be chosen again');
    await page.fill('#csv-fs', '300');
    await page.click('#diagnose');
    await textMatches(page, 'record-info', /^mine: 1 lead\(s\) \(II\), 300 Hz, 10\.0 s/);
    await diagnosed('dev-1lead-untrained');
    assert.equal(await errorText(), null);
  },
);

test('a CSV dropped without Hz is read again when Hz is filled in', { skip }, async () => {
  await freshPage();
  await drop(csvFile);
  await page.waitForSelector('#error:not([hidden])');
  await page.fill('#csv-fs', '150');
  await page.press('#csv-fs', 'Tab');
  await textMatches(page, 'record-info', /^mine: 1 lead\(s\) \(II\), 150 Hz, 20\.0 s/);
  await diagnosed('dev-1lead-untrained');
  assert.equal(await errorText(), null);
});

test('files dropped or chosen reset the Example box', { skip }, async () => {
  await freshPage();
  await showExample('00001_lr');
  await drop(fileParts(WFDB, ['A00001.hea', 'A00001.mat']));
  await textMatches(page, 'record-info', /^A00001: /);
  assert.equal(await page.inputValue('#example-select'), '');
  await showExample('00001_lr');
  await page.setInputFiles('#file-input', fileParts(WFDB, ['A00001.hea', 'A00001.mat']));
  await textMatches(page, 'record-info', /^A00001: /);
  assert.equal(await page.inputValue('#example-select'), '');
});

test('the file input offers every format read, and the progress bar has a name', { skip }, async () => {
  await freshPage();
  assert.match(String(await page.getAttribute('#file-input', 'accept')), /\.edf/);
  assert.match(String(await page.textContent('#drop-zone')), /\.edf/);
  assert.ok(await page.getAttribute('#progress', 'aria-label'));
  assert.match(String(await page.textContent('label:has(#csv-fs)')), /Hz.*CSV.*\.mat/);
});
