/**
 * Typed errors. Every error names what it was reading (a file, a URL, a tensor op) and what was wrong,
 * so that a caller can catch by class and a user can act on the message.
 */
export class EcgError extends Error {
  override name = 'EcgError';
  /** Messages are bounded: an error about a 16 MiB cell must not carry the cell (nor become a 91 MB HTTP body). */
  constructor(message?: string, options?: ErrorOptions) {
    super(excerpt(message ?? '', MAX_MESSAGE_CHARS), options);
  }
}

/** Longest error message kept (longer ones are cut in the middle, marked with an ellipsis). */
export const MAX_MESSAGE_CHARS = 2000;

/** `text` cut to at most `max` characters (the head and the tail kept), for quoting input in messages. */
export function excerpt(text: string, max = 80): string {
  if (text.length <= max) return text;
  const keep = Math.max(0, max - 25);
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…[${text.length - keep} chars]…${text.slice(text.length - (keep - head))}`;
}

/** A file or byte stream could not be parsed: `source` names it (path, URL or "<bytes>"). */
export class FormatError extends EcgError {
  override name = 'FormatError';
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}

/** A file that a record or dataset needs is missing. */
export class MissingFileError extends EcgError {
  override name = 'MissingFileError';
  constructor(
    readonly source: string,
    readonly problem = 'file not found',
  ) {
    super(`${source}: ${problem}`);
  }
}

/**
 * A bundled model that the npm package leaves out for size (`"packaged": false` in models/catalog.json) and whose
 * file is absent here, as in an npm install: it is in the git repository only. `source` is the absent file, `model`
 * the model's name and `repositoryPath` the file's path in the repository (models/NAME.onnx).
 */
export class RepositoryOnlyModelError extends MissingFileError {
  override name = 'RepositoryOnlyModelError';
  constructor(
    source: string,
    readonly model: string,
    readonly repositoryPath: string,
  ) {
    super(
      source,
      `bundled model ${model} is not in the npm package (its files are left out for size): clone the repository for ${repositoryPath}`,
    );
  }
}

/** Stored checksum disagrees with the decoded data. */
export class ChecksumError extends FormatError {
  override name = 'ChecksumError';
}

/** The tensor engine (libtorch addon) is absent or unusable. */
export class EngineUnavailableError extends EcgError {
  override name = 'EngineUnavailableError';
}

/** Shapes or dtypes that do not fit an op or a layer. */
export class ShapeError extends EcgError {
  override name = 'ShapeError';
}

/** A prediction's progress callback asked it to stop (a page moved on to another record or model). */
export class PredictionStoppedError extends EcgError {
  override name = 'PredictionStoppedError';
}

/** A training step's loss is not finite: the step is not taken, so the last checkpoint stays a usable model. */
export class TrainingDivergedError extends EcgError {
  override name = 'TrainingDivergedError';
}

/** A tensor was used after dispose(). */
export class DisposedError extends EcgError {
  override name = 'DisposedError';
}

/** A file could not be written (no permission, a read-only disk, a folder in its place): `path` is the file. */
export class WriteError extends EcgError {
  override name = 'WriteError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * A file could not be written because its disk is full (ENOSPC) or the user's quota is spent (EDQUOT): `path` is
 * the file, and the message says what can be freed.
 */
export class DiskFullError extends WriteError {
  override name = 'DiskFullError';
}

/** A checkpoint is truncated, foreign or incompatible with the model it is loaded into. */
export class CheckpointError extends EcgError {
  override name = 'CheckpointError';
}

/** A download failed: HTTP status, connection lost, or a server that does not behave (`source` is the URL). */
export class NetworkError extends EcgError {
  override name = 'NetworkError';
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}

/** A signal cannot be processed as asked: NaN samples where they are not allowed, too short, bad parameters. */
export class SignalError extends EcgError {
  override name = 'SignalError';
}

/** Scores, labels or options that a metric or report cannot use: `input` names the argument. */
export class MetricError extends EcgError {
  override name = 'MetricError';
  constructor(
    readonly input: string,
    readonly problem: string,
  ) {
    super(`${input}: ${problem}`);
  }
}

/** A model configuration (or the named inputs it expects) is inconsistent; the message names the setting or input. */
export class ConfigError extends EcgError {
  override name = 'ConfigError';
}

/** A model cannot be exported (an op without an ONNX form, a size-dependent attribute) or its metadata is invalid. */
export class ExportError extends EcgError {
  override name = 'ExportError';
}

/** An HTTP request the server refuses: `status` is the 4xx/5xx to answer, `input` names the part of the request. */
export class RequestError extends EcgError {
  override name = 'RequestError';
  constructor(
    readonly status: number,
    readonly input: string,
    readonly problem: string,
  ) {
    super(`${input}: ${problem}`);
  }
}

/** Why a process-group operation failed (src/engine/distributed.ts). */
export type DistributedFailure = 'timeout' | 'peer-lost' | 'port-in-use' | 'failed';

/**
 * A torch.distributed process group failed: `operation` names the call (rendezvous at HOST:PORT, allReduce, ...),
 * `rank` the rank that saw it. Subclasses say why, so that a trainer can stop the whole group with a clear message.
 */
export class DistributedError extends EcgError {
  override name = 'DistributedError';
  readonly failure: DistributedFailure = 'failed';
  constructor(
    readonly rank: number,
    readonly operation: string,
    readonly problem: string,
  ) {
    super(`rank ${rank}: ${operation}: ${problem}`);
  }
}

/** A peer did not answer within the group's timeout (it hangs, or never joined the rendezvous). */
export class CollectiveTimeoutError extends DistributedError {
  override name = 'CollectiveTimeoutError';
  override readonly failure = 'timeout';
}

/** A peer's connection closed in the middle of a collective: that process died. */
export class PeerLostError extends DistributedError {
  override name = 'PeerLostError';
  override readonly failure = 'peer-lost';
}

/** Rank 0 could not listen on the master port: another process holds it. */
export class PortInUseError extends DistributedError {
  override name = 'PortInUseError';
  override readonly failure = 'port-in-use';
}

/** A process a launcher started (a `cv --parallel` fold process) failed: `label` names it, `problem` says how. */
export class WorkerProcessError extends EcgError {
  override name = 'WorkerProcessError';
  constructor(
    readonly label: string,
    readonly problem: string,
  ) {
    super(`${label}: ${problem}`);
  }
}
