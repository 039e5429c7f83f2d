/**
 * A minimal onnxruntime session over an exported model (for parity tests): float32/int64/bool inputs in, named
 * float32 outputs out. The runtime comes from backend.ts (onnxruntime-node under Node unless `backend` says 'web').
 * Single-threaded by default to share the machine.
 */
import type * as Ort from 'onnxruntime-common';
import { ExportError } from '../errors.js';
import { createSession, type BackendName, type OrtApi } from './backend.js';

export interface ArrayInput {
  data: Float32Array | BigInt64Array | Uint8Array;
  dims: readonly number[];
}

export interface ArrayOutput {
  data: Float32Array;
  dims: readonly number[];
}

export class OnnxSession {
  private constructor(
    private readonly ort: OrtApi,
    private readonly session: Ort.InferenceSession,
  ) {}

  static async create(model: Uint8Array, threads = 1, backend?: BackendName): Promise<OnnxSession> {
    const runtime = await createSession(model, { threads, ...(backend ? { backend } : {}) });
    return new OnnxSession(runtime.ort, runtime.session);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(inputs: Record<string, ArrayInput>): Promise<Record<string, ArrayOutput>> {
    const feeds: Record<string, Ort.Tensor> = {};
    for (const [name, input] of Object.entries(inputs)) {
      const type =
        input.data instanceof Float32Array
          ? 'float32'
          : input.data instanceof BigInt64Array
            ? 'int64'
            : 'bool';
      feeds[name] = new this.ort.Tensor(type, input.data, [...input.dims]);
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
