/**
 * A minimal onnxruntime-node session over an exported model: float32/int64 inputs in, named float32 outputs out,
 * and the metadata_props the exporter wrote (parsed from JSON). Single-threaded by default to share the machine.
 */
import * as ort from 'onnxruntime-node';
import { ExportError } from '../errors.js';

export interface ArrayInput {
  data: Float32Array | BigInt64Array | Uint8Array;
  dims: readonly number[];
}

export interface ArrayOutput {
  data: Float32Array;
  dims: readonly number[];
}

export class OnnxSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(model: Uint8Array, threads = 1): Promise<OnnxSession> {
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new OnnxSession(session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(inputs: Record<string, ArrayInput>): Promise<Record<string, ArrayOutput>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, input] of Object.entries(inputs)) {
      const type =
        input.data instanceof Float32Array
          ? 'float32'
          : input.data instanceof BigInt64Array
            ? 'int64'
            : 'bool';
      feeds[name] = new ort.Tensor(type, input.data, [...input.dims]);
    }
    const results = await this.session.run(feeds);
    const out: Record<string, ArrayOutput> = {};
    for (const [name, tensor] of Object.entries(results)) {
      if (!(tensor.data instanceof Float32Array)) {
        throw new ExportError(`OnnxSession: output '${name}' is ${tensor.type}, not float32`);
      }
      out[name] = { data: tensor.data, dims: [...tensor.dims] };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
