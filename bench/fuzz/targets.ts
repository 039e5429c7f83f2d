/**
 * What the fuzz bench throws at: every parser and model loader, each as a target that builds one mutated input
 * from committed seeds (small crops, so that a case costs microseconds) and runs the public reader on it.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCheckpoint } from '../../src/export/checkpoint.js';
import { onnx } from '../../src/export/onnx/graph.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/export/safetensors.js';
import { Predictor } from '../../src/infer/predictor.js';
import { readEdfRecord } from '../../src/io/edf.js';
import { withHdf5Exams } from '../../src/io/hdf5.js';
import { readRecord, readRecordFromFiles } from '../../src/io/read.js';
import { parseAnnotations } from '../../src/io/wfdb/annotations.js';
import { formatSpec } from '../../src/io/wfdb/formats.js';
import { parseWfdbHeader } from '../../src/io/wfdb/header.js';
import { headerText } from '../../src/io/wfdb/record.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { int, mutateBytes, mutateText, pick, type Rng } from './mutate.js';

export interface FuzzInput {
  /** The input's files by name (what a regression fixture saves). */
  files: Map<string, Uint8Array>;
  options: { fs?: number; strict?: boolean };
  /** Also run the QRS detector on the record read (a share of the WFDB cases). */
  detect?: boolean;
}

export interface Target {
  name: string;
  /** Relative share of the cases. */
  weight: number;
  make(rng: Rng): FuzzInput;
  run(input: FuzzInput): Promise<unknown>;
}

const fixture = (path: string) =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url)));
const text = (bytes: Uint8Array) => headerText(bytes);
const encode = (s: string) => new TextEncoder().encode(s);

/** A WFDB record cut to its first `frames` frames (header length and data files), as a seed. */
function croppedRecord(name: string, frames: number): Map<string, Uint8Array> {
  const headerBytes = fixture(`wfdb/${name}.hea`);
  const header = parseWfdbHeader(text(headerBytes), name);
  const lines = text(headerBytes).split('\n');
  const recordLine = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  const tokens = lines[recordLine]!.trim().split(/\s+/);
  tokens[3] = String(frames);
  lines[recordLine] = tokens.join(' ');
  const files = new Map<string, Uint8Array>([[`${name}.hea`, encode(lines.join('\n'))]]);
  for (const file of new Set(header.signals.map((s) => s.fileName))) {
    const specs = header.signals.filter((s) => s.fileName === file);
    const frameSize = specs.reduce((n, s) => n + s.samplesPerFrame, 0);
    const bytes = specs[0]!.byteOffset + formatSpec(specs[0]!.format).bytesFor(frames * frameSize);
    files.set(file, fixture(`wfdb/${file}`).slice(0, bytes));
  }
  return files;
}

/** Mutates one of the files: text files (headers, CSV) as text, the others as bytes. */
function mutateFiles(rng: Rng, files: Map<string, Uint8Array>, textual: (name: string) => boolean) {
  const out = new Map(files);
  for (let m = 1 + int(rng, 3); m > 0; m--) {
    const name = pick(rng, [...out.keys()]);
    const bytes = out.get(name)!;
    out.set(
      name,
      textual(name) && rng() < 0.8 ? encode(mutateText(rng, text(bytes))) : mutateBytes(rng, bytes),
    );
  }
  return out;
}

/** A parsed record's detector must cope with whatever rate and length the reader accepted. */
async function readAndDetect(input: FuzzInput): Promise<unknown> {
  const record = await readRecordFromFiles(input.files, input.options);
  if (input.detect && record.signals.length > 0 && record.signals[0]!.length <= 20_000)
    detectQrs(record.signals, record.fs);
  return record;
}

const isHeader = (name: string) => name.endsWith('.hea');

const WFDB_SEEDS = [croppedRecord('208x', 400), croppedRecord('00001_lr', 200), croppedRecord('1', 150)];
const CINC = new Map([
  ['A00001.hea', fixture('wfdb/A00001.hea')],
  ['A00001.mat', fixture('wfdb/A00001.mat').slice(0, 24 + 2 * 600)],
]);
CINC.set('A00001.hea', encode(text(CINC.get('A00001.hea')!).replace(/^(\S+ \d+ \S+) \d+/m, '$1 600')));
const MULTISEG = new Map(
  [
    'ms.hea',
    'ms_0001.dat',
    'ms_0001.hea',
    'ms_0002.dat',
    'ms_0002.hea',
    'ms_0003.dat',
    'ms_0003.hea',
    'ms_layout.hea',
  ].map((f) => [f, fixture(`wfdb-multiseg/${f}`)]),
);
const ANNOTATIONS = [fixture('wfdb/208x.atr').slice(0, 600), fixture('wfdb/1.i'), fixture('wfdb/1.v6')];
const MATS = [
  'cinc2017_A00001.mat',
  'v4_types_be.mat',
  'v4_types_le.mat',
  'v5_big_endian.mat',
  'v5_variety.mat',
  'v5_variety_z.mat',
].map((f) => fixture(`mat/${f}`));
const CSVS = [
  `time,MLII,V1\n${Array.from({ length: 200 }, (_, i) => `${(i / 360).toFixed(5)},${Math.sin(i / 9).toFixed(3)},${Math.cos(i / 7).toFixed(3)}`).join('\n')}\n`,
  `${Array.from({ length: 150 }, (_, i) => `${i % 17};${(i * 0.01).toFixed(2).replace('.', ',')}`).join('\n')}\n`,
  `ms\tI (mV)\tII [uV]\n${Array.from({ length: 120 }, (_, i) => `${2 * i}\t${i % 5}\t${i % 7}`).join('\n')}\n`,
];
const EDFS = ['mit208.edf', 'mit208-plus.edf'].map((f) => fixture(`edf/${f}`));
/** The fixed header and two signal headers of the seeds: the part mutated as text. */
const EDF_HEAD = 256 + 2 * 256;

/** `bytes` with its first EDF_HEAD bytes replaced by `head` (cut or zero-padded to that length). */
function withHead(head: Uint8Array, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(bytes.length, EDF_HEAD));
  out.set(bytes);
  out.fill(0x20, 0, EDF_HEAD);
  out.set(head.subarray(0, EDF_HEAD));
  return out;
}
const SAFETENSORS = [
  fixture('export/reference.safetensors'),
  encodeSafetensors(
    new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }],
      ['b.steps', { shape: [1], data: BigInt64Array.of(7n) }],
      ['c.mask', { shape: [2], data: Uint8Array.of(1, 0) }],
    ]),
    {
      format: 'efficientecg-checkpoint',
      format_version: '1',
      model: '{"name":"m","config":{}}',
      labels: '["A"]',
    },
  ),
];
const ONNX = fixture('../server/fixtures/dev-1lead-untrained.onnx');

/** A safetensors file with its JSON header mutated as text (the data left as it was), or its bytes mutated. */
function mutateSafetensors(rng: Rng, bytes: Uint8Array): Uint8Array {
  if (rng() < 0.3) return mutateBytes(rng, bytes);
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const json = mutateText(rng, new TextDecoder().decode(bytes.subarray(8, 8 + length)), /,/);
  const head = encode(json);
  const out = new Uint8Array(8 + head.length + bytes.length - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(bytes.subarray(8 + length), 8 + head.length);
  return out;
}

/** An ONNX model with one metadata value or graph detail changed, or its bytes mutated. */
function mutateOnnx(rng: Rng): Uint8Array {
  if (rng() < 0.3) return mutateBytes(rng, ONNX);
  const model = onnx.ModelProto.decode(ONNX);
  const graph = model.graph!;
  switch (int(rng, 4)) {
    case 0: {
      const entry = pick(rng, model.metadataProps);
      entry.value = mutateText(rng, String(entry.value), /,/);
      break;
    }
    case 1:
      pick(rng, graph.node!).opType = pick(rng, ['Conv', 'NoSuchOp', 'Relu', '']);
      break;
    case 2: {
      const node = pick(rng, graph.node!);
      if (node.input!.length > 0)
        node.input![int(rng, node.input!.length)] = pick(rng, ['ecg', 'nowhere', '']);
      break;
    }
    default: {
      const tensor = pick(rng, graph.initializer!);
      tensor.dims = tensor.dims!.map(() => pick(rng, [0, 1, 3, 2 ** 31, -1]));
    }
  }
  return onnx.ModelProto.encode(model).finish();
}

const HDF5S = [fixture('datasets/code15/fuzz-seed.hdf5'), fixture('datasets/code15/two-lead-500hz.h5')];

/** HDF5 is read from a path only (a part is gigabytes): each case is written to this process's scratch file. */
const hdf5Scratch = join(tmpdir(), `fuzz-${process.pid}.hdf5`);
process.on('exit', () => rmSync(hdf5Scratch, { force: true }));

async function readHdf5Case(input: FuzzInput): Promise<unknown> {
  writeFileSync(hdf5Scratch, input.files.get('r.hdf5')!);
  const records = [];
  for await (const name of withHdf5Exams([hdf5Scratch], input.options))
    records.push(await readRecord(name, input.options));
  return records;
}

export const TARGETS: Target[] = [
  {
    name: 'wfdb',
    weight: 30,
    make: (rng) => ({
      files: mutateFiles(rng, pick(rng, [...WFDB_SEEDS, CINC]), isHeader),
      options: { strict: rng() < 0.3 },
      detect: rng() < 0.05,
    }),
    run: readAndDetect,
  },
  {
    name: 'wfdb-multisegment',
    weight: 15,
    make: (rng) => ({ files: mutateFiles(rng, MULTISEG, isHeader), options: {} }),
    run: (input) => readAndDetect(input),
  },
  {
    name: 'annotations',
    weight: 10,
    make: (rng) => ({ files: new Map([['r.atr', mutateBytes(rng, pick(rng, ANNOTATIONS))]]), options: {} }),
    run: async (input) => parseAnnotations(input.files.get('r.atr')!, 'r.atr'),
  },
  {
    name: 'mat',
    weight: 15,
    make: (rng) => ({
      files: new Map([['r.mat', mutateBytes(rng, pick(rng, MATS))]]),
      options: rng() < 0.8 ? { fs: pick(rng, [300, 500, 0.2, 1e6]) } : {},
    }),
    run: (input) => readAndDetect(input),
  },
  {
    name: 'csv',
    weight: 10,
    make: (rng) => {
      let table = pick(rng, CSVS);
      for (let m = 1 + int(rng, 3); m > 0; m--) table = mutateText(rng, table, pick(rng, [/,/, /;/, /\t/]));
      return {
        files: new Map([['r.csv', encode(table)]]),
        options: rng() < 0.5 ? { fs: pick(rng, [250, 0, 1e9]) } : {},
      };
    },
    run: (input) => readAndDetect(input),
  },
  {
    name: 'edf',
    weight: 10,
    make: (rng) => {
      let bytes: Uint8Array = pick(rng, EDFS);
      for (let m = 1 + int(rng, 2); m > 0; m--)
        bytes =
          rng() < 0.5 && bytes.length > 256
            ? withHead(encode(mutateText(rng, text(bytes.subarray(0, EDF_HEAD)))), bytes)
            : mutateBytes(rng, bytes);
      return { files: new Map([['r.edf', bytes]]), options: {} };
    },
    run: async (input) => readEdfRecord(input.files.get('r.edf')!, 'r.edf'),
  },
  {
    name: 'safetensors',
    weight: 10,
    make: (rng) => ({
      files: new Map([['r.safetensors', mutateSafetensors(rng, pick(rng, SAFETENSORS))]]),
      options: {},
    }),
    run: async (input) => {
      const bytes = input.files.get('r.safetensors')!;
      decodeSafetensors(bytes, 'r.safetensors');
      return decodeCheckpoint(bytes, 'r.safetensors');
    },
  },
  {
    name: 'hdf5',
    weight: 3,
    make: (rng) => {
      let bytes: Uint8Array = pick(rng, HDF5S);
      for (let m = 1 + int(rng, 3); m > 0; m--) bytes = mutateBytes(rng, bytes);
      return { files: new Map([['r.hdf5', bytes]]), options: rng() < 0.5 ? { fs: 500 } : {} };
    },
    run: (input) => readHdf5Case(input),
  },
  {
    name: 'onnx',
    weight: 0.1,
    make: (rng) => ({ files: new Map([['r.onnx', mutateOnnx(rng)]]), options: {} }),
    run: (input) => Predictor.load(input.files.get('r.onnx')!, { backend: 'node' }),
  },
];
