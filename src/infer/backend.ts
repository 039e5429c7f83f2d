/**
 * The one place that picks the ONNX runtime: onnxruntime-node under Node (native, fast), onnxruntime-web in a
 * browser (WebAssembly). Both are loaded by dynamic import so that a browser bundle never pulls the native addon and
 * Node never loads the wasm build unless asked. Nothing on the inference path touches libtorch.
 */
import type * as Ort from 'onnxruntime-common';
import { ConfigError } from '../errors.js';

export type BackendName = 'node' | 'web';

/** The part of the onnxruntime API the predictor uses (identical in the node and web packages). */
export interface OrtApi {
  InferenceSession: typeof Ort.InferenceSession;
  Tensor: typeof Ort.Tensor;
}

export interface BackendOptions {
  /** Default: 'node' when running under Node, 'web' otherwise. 'web' also runs in Node (wasm), e.g. for tests. */
  backend?: BackendName;
  /** Intra-op threads (default 1: the folder predictor runs one session per worker thread instead). */
  threads?: number;
}

export function defaultBackend(): BackendName {
  const node = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  return node ? 'node' : 'web';
}

export async function loadRuntime(backend: BackendName = defaultBackend()): Promise<OrtApi> {
  if (backend === 'node') return (await import('onnxruntime-node')) as unknown as OrtApi;
  if (backend === 'web') {
    const web = await import('onnxruntime-web');
    // One wasm thread: cross-origin isolation (needed for wasm threads) is not something a page can assume.
    web.env.wasm.numThreads = 1;
    return web as unknown as OrtApi;
  }
  throw new ConfigError(`backend: expected 'node' or 'web', got ${JSON.stringify(backend)}`);
}

export interface RuntimeSession {
  ort: OrtApi;
  session: Ort.InferenceSession;
  backend: BackendName;
}

export async function createSession(
  model: Uint8Array,
  options: BackendOptions = {},
): Promise<RuntimeSession> {
  const backend = options.backend ?? defaultBackend();
  const ort = await loadRuntime(backend);
  const threads = options.threads ?? 1;
  const session = await ort.InferenceSession.create(model, {
    ...(backend === 'node' ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    graphOptimizationLevel: 'all',
  });
  return { ort, session, backend };
}
