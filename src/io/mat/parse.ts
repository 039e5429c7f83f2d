import { FormatError } from '../../errors.js';
import { checkFileBytes, readLimits } from '../limits.js';
import type { MatFile } from './types.js';
import { detectV4, parseV4 } from './v4.js';
import { detectV5, parseV5, type V5Options } from './v5.js';

export type ParseMatOptions = V5Options;

/**
 * Parses a MAT-file (level 4, or level 5 / v6 / v7) from its bytes. `source` names the bytes in errors
 * (a path, a URL or "<bytes>"). Throws FormatError for anything that is not a well-formed MAT-file.
 */
export function parseMat(bytes: Uint8Array, source = '<bytes>', options: ParseMatOptions = {}): MatFile {
  if (bytes.length === 0) throw new FormatError(source, 'empty file');
  checkFileBytes(source, bytes.length, readLimits(options.limits), 'MAT-file');
  // Level 5 first: its text header cannot be mistaken for a level 4 type word, the reverse is not guaranteed.
  const v5 = detectV5(bytes);
  if (v5 && startsWithText(bytes)) return parseV5(bytes, source, v5.littleEndian, options);
  const v4 = detectV4(bytes);
  if (v4) return parseV4(bytes, source, v4.littleEndian, options);
  if (v5) return parseV5(bytes, source, v5.littleEndian, options);
  throw new FormatError(source, 'not a MAT-file (neither a level 5 header nor a level 4 matrix header)');
}

/** Level 5 headers begin with printable text ("MATLAB 5.0 MAT-file ..."); level 4 files begin with a small integer. */
function startsWithText(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 4).every((b) => b >= 0x20 && b < 0x7f);
}
