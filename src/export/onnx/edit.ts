/**
 * Changing what an exported model says about itself without touching what it computes: metadata_props entries
 * (JSON values, as exportOnnx writes them) replaced or added, the graph carried over as decoded.
 */
import { ExportError } from '../../errors.js';
import { onnx } from './graph.js';

/** The model with `entries` as its metadata values (JSON-encoded); other entries and the graph as they were. */
export function withOnnxMetadata(
  bytes: Uint8Array,
  entries: Record<string, unknown>,
  source: string,
): Uint8Array {
  let model: import('onnx-proto').onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ExportError(`${source}: not an ONNX model (${(error as Error).message})`);
  }
  const replaced = new Set(Object.keys(entries));
  model.metadataProps = [
    ...model.metadataProps.filter(({ key }) => !replaced.has(String(key))),
    ...Object.entries(entries).map(([key, value]) =>
      onnx.StringStringEntryProto.create({ key, value: JSON.stringify(value) }),
    ),
  ];
  return onnx.ModelProto.encode(model).finish();
}
