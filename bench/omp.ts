/**
 * libtorch runs its intra-op threads on libgomp (the engine's addon and Debian's python3-torch alike), whose idle
 * threads busy-wait at every barrier by default. On a loaded 2-core machine a spinning thread holds the core its
 * partner needs, so a 2-thread run can be ten times slower than a 1-thread one (the engine measured 293 records/s on
 * 1 thread, 26-46 on 2; 298 with OMP_WAIT_POLICY=PASSIVE), while onnxruntime (its own thread pool) is barely
 * affected. Every libtorch worker a bench starts therefore gets OMP_WAIT_POLICY=PASSIVE (threads sleep at barriers)
 * unless the user set OMP_WAIT_POLICY; the policy is printed in the run's header. libgomp reads it at start-up, so
 * it must be in the worker's environment, not set by the bench in its own process.
 */

const userPolicy = process.env.OMP_WAIT_POLICY?.trim() || null;

/** The OMP_WAIT_POLICY every libtorch worker of this run gets. */
export const OMP_WAIT_POLICY = userPolicy ?? 'PASSIVE';

/** The environment of a libtorch worker (engine or PyTorch): this process's, with the OpenMP wait policy. */
export function libtorchEnv(): NodeJS.ProcessEnv {
  return { ...process.env, OMP_WAIT_POLICY };
}

/** The header line that says which wait policy the libtorch workers run with, and who chose it. */
export function ompPolicyLine(workers = 'engine, PyTorch'): string {
  return userPolicy === null
    ? `libtorch workers (${workers}): OMP_WAIT_POLICY=PASSIVE (set by the bench; set OMP_WAIT_POLICY to choose another)`
    : `libtorch workers (${workers}): OMP_WAIT_POLICY=${userPolicy} (from the environment)`;
}

/**
 * A warning when a runtime's N-thread rate is below its 1-thread rate (threads fighting over cores, e.g. spinning
 * OpenMP threads on a loaded machine), or null. Rates are per second, higher is better; `libtorch`: the runtime
 * runs on libgomp (the line then names the wait policy).
 */
export function contentionLine(
  what: string,
  threads: number,
  rateN: number,
  rate1: number,
  unit: string,
  detail = '',
  libtorch = true,
): string | null {
  if (!(threads > 1) || !Number.isFinite(rateN) || !Number.isFinite(rate1) || rateN >= rate1) return null;
  return (
    `contention: ${what}: ${threads}-thread rate ${rateN.toFixed(1)} ${unit} is ${(rateN / rate1).toFixed(2)}x its ` +
    `1-thread rate ${rate1.toFixed(1)} ${unit}${detail}: threads fighting for the cores (machine load` +
    `${libtorch ? `; OMP_WAIT_POLICY=${OMP_WAIT_POLICY}` : ''}), so this run's ${threads}-thread figures, and the ratios built on them, ` +
    `are not what ${threads} threads do on an idle machine`
  );
}
