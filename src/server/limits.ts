/** The server's bounds, one table; every field can be overridden per server (tests use small ones). */
export interface ServeLimits {
  /** Bytes of one uploaded file (multipart) and of all files together. */
  maxUploadBytes: number;
  /** Files in one record upload (WFDB: header + data files). */
  maxFiles: number;
  /** Longest record accepted, in seconds (bounds the memory and time of one prediction). */
  maxRecordSeconds: number;
  /** Longest record for which a saliency is computed on request (occlusion costs ~20 extra passes per window). */
  maxSaliencySeconds: number;
  /** Predictions running at once. */
  maxActive: number;
  /** Requests waiting for a slot; beyond this the server answers 503 with Retry-After. */
  maxWaiting: number;
  /** Seconds suggested in Retry-After. */
  retryAfterSeconds: number;
  /** Whole-request timeout in ms (Node's own check, coarse: see uploadDeadlineMs for uploads). */
  requestTimeoutMs: number;
  /** A request body must be complete this many ms after its headers, or the connection is cut. */
  uploadDeadlineMs: number;
  /** After `uploadGraceMs`, a body arriving slower than this on average (bytes per second) is cut. */
  minUploadBytesPerSecond: number;
  uploadGraceMs: number;
  /** Request headers must be complete within this many ms (slow-header clients hold sockets, not queue places). */
  headersTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxUploadBytes: 16 * 1024 * 1024,
  maxFiles: 16,
  maxRecordSeconds: 600,
  maxSaliencySeconds: 120,
  maxActive: 2,
  maxWaiting: 64,
  retryAfterSeconds: 2,
  requestTimeoutMs: 30_000,
  uploadDeadlineMs: 10_000,
  minUploadBytesPerSecond: 4096,
  uploadGraceMs: 2000,
  headersTimeoutMs: 10_000,
};
