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
  /**
   * Intra-op threads. Node: default 1 (the folder predictor runs one session per worker thread instead). Web: the
   * wasm threads, default defaultWasmThreads() (several only on a cross-origin isolated page).
   */
  threads?: number;
  /** Web: where onnxruntime-web fetches its .wasm / .mjs files (default: beside its own module). */
  wasmPaths?: string;
}

export function defaultBackend(): BackendName {
  const node = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  return node ? 'node' : 'web';
}

/** Held in a variable so that bundlers do not follow it: a page bundle must never try to include the native addon. */
const NODE_RUNTIME: string = 'onnxruntime-node';

export async function loadRuntime(
  backend: BackendName = defaultBackend(),
  options: Pick<BackendOptions, 'threads' | 'wasmPaths'> = {},
): Promise<OrtApi> {
  if (backend === 'node')
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_RUNTIME)) as OrtApi;
  if (backend === 'web') {
    const web = await import('onnxruntime-web');
    // Global to onnxruntime-web and read once, when its wasm starts (the first session): later values are ignored.
    web.env.wasm.numThreads = options.threads ?? defaultWasmThreads();
    if (options.wasmPaths !== undefined) web.env.wasm.wasmPaths = options.wasmPaths;
    return web as unknown as OrtApi;
  }
  throw new ConfigError(`backend: expected 'node' or 'web', got ${JSON.stringify(backend)}`);
}

/**
 * wasm threads need SharedArrayBuffer, which a page has only when cross-origin isolated (served with
 * Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp; `efficientecg serve` does
 * not send them, so its page runs one thread). Isolated: as many threads as cores, at most 4; otherwise, and in
 * Node, 1.
 */
export function defaultWasmThreads(): number {
  const scope = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (scope.crossOriginIsolated !== true) return 1;
  return Math.max(1, Math.min(4, scope.navigator?.hardwareConcurrency ?? 1));
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
  const ort = await loadRuntime(backend, options);
  const threads = options.threads ?? 1;
  const session = await ort.InferenceSession.create(model, {
    ...(backend === 'node' ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    graphOptimizationLevel: 'all',
    // Fatal only: every onnxruntime failure reaches the caller as a typed error carrying onnxruntime's message
    // (Predictor.load, Predictor.run), so its own stderr line would only repeat it (e.g. once per crafted graph
    // in the fuzz tests).
    logSeverityLevel: 4,
  });
  return { ort, session, backend };
}
