/** Reading back what exportOnnx wrote: metadata_props (JSON values) and the graph's op types, for checks and tools. */
import { ExportError } from '../../errors.js';
import { onnx } from './graph.js';

export interface OnnxSummary {
  opset: number;
  producer: string;
  metadata: Record<string, unknown>;
  inputs: string[];
  outputs: string[];
  /** Op type -> node count. */
  ops: Record<string, number>;
  initializers: string[];
}

export function readOnnxSummary(bytes: Uint8Array): OnnxSummary {
  let model: import('onnx-proto').onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ExportError(`readOnnxSummary: not an ONNX model (${(error as Error).message})`);
  }
  // Built from entries: a key named "__proto__" or an op named "constructor" stays an ordinary own property.
  const metadata: Record<string, unknown> = Object.fromEntries(
    model.metadataProps.map(({ key, value }) => [String(key), metadataValue(String(key), String(value))]),
  );
  const counts = new Map<string, number>();
  for (const node of model.graph?.node ?? [])
    counts.set(String(node.opType), (counts.get(String(node.opType)) ?? 0) + 1);
  const ops: Record<string, number> = Object.fromEntries(counts);
  return {
    opset: Number(model.opsetImport.find((o) => !o.domain)?.version ?? 0),
    producer: `${model.producerName} ${model.producerVersion}`,
    metadata,
    inputs: (model.graph?.input ?? []).map((v) => String(v.name)),
    outputs: (model.graph?.output ?? []).map((v) => String(v.name)),
    ops,
    initializers: (model.graph?.initializer ?? []).map((t) => String(t.name)),
  };
}

function metadataValue(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ExportError(`readOnnxSummary: metadata "${key}" is not JSON (${(error as Error).message})`);
  }
}
