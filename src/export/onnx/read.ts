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
  const metadata: Record<string, unknown> = {};
  for (const { key, value } of model.metadataProps) metadata[String(key)] = JSON.parse(String(value));
  const ops: Record<string, number> = {};
  for (const node of model.graph?.node ?? []) ops[String(node.opType)] = (ops[String(node.opType)] ?? 0) + 1;
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
