/**
 * The upload watch's rules on a made-up clock (UploadProgress): the deadline and the minimum rate as before, and
 * the time the server's thread was stalled (its checks came late) not held against the client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UPLOAD_CHECK_MS, UploadProgress } from '../../src/server/guard.js';

const LIMITS = { uploadDeadlineMs: 10_000, uploadGraceMs: 2000, minUploadBytesPerSecond: 4096 };

/** Checks every UPLOAD_CHECK_MS from `from` to `to` (ms) with `bytesAt(t)` received; the first refusal, or null. */
function checks(progress: UploadProgress, from: number, to: number, bytesAt: (t: number) => number) {
  for (let t = from; t <= to; t += UPLOAD_CHECK_MS) {
    const why = progress.check(t, bytesAt(t));
    if (why !== null) return { t, why };
  }
  return null;
}

test('without stalls: a trickle is cut after the grace period, any upload at the deadline', () => {
  const trickle = checks(new UploadProgress(LIMITS, 0), 250, 20_000, () => 100);
  assert.deepEqual(trickle, { t: 2250, why: 'arriving at 44 B/s, below 4096 B/s' });
  const steady = checks(new UploadProgress(LIMITS, 0), 250, 20_000, (t) => t * 10);
  assert.deepEqual(steady, { t: 10_250, why: 'not complete within 10000 ms' });
});

test('a stalled thread: the late check is not judged and the stall does not count against the client', () => {
  // 8 KiB/s from the start, but the server's thread is stalled from 1000 to 31000 ms: it read nothing meanwhile.
  const progress = new UploadProgress(LIMITS, 0);
  const read = (t: number) => (t <= 1000 ? t * 8 : 8000 + (t - 31_000) * 8);
  assert.equal(checks(progress, 250, 1000, read), null);
  assert.equal(
    progress.check(31_000, read(31_000)),
    null,
    'the first check after the stall only accounts it',
  );
  // The client has had 1000 ms of a working server before the stall: its deadline is 10000 ms of running time.
  assert.equal(checks(progress, 31_250, 39_750, read), null);
  assert.equal(progress.check(40_000, read(40_000)), 'not complete within 10000 ms');
});

test('a stall in the middle of a trickle does not excuse the trickle', () => {
  const progress = new UploadProgress(LIMITS, 0);
  assert.equal(
    checks(progress, 250, 1000, () => 100),
    null,
  );
  assert.equal(progress.check(31_000, 100), null);
  const cut = checks(progress, 31_250, 40_000, () => 100);
  // 2000 ms of the grace period, counted on the server's running time only: 1000 before the stall, 1000 after.
  assert.deepEqual(cut, { t: 32_000, why: 'arriving at 44 B/s, below 4096 B/s' });
});
