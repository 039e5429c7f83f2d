/**
 * Data-parallel launch, with torchrun's conventions so that existing launchers work: the group is described by
 * RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT (set by `train --nproc-per-node`, torchrun, a Slurm or
 * Kubernetes script), and `--nproc-per-node N` starts N local workers and supervises them: when one fails, the
 * others are stopped and the launcher reports which rank failed and how. The same supervision runs `cv --parallel`'s
 * fold processes.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ConfigError, DistributedError } from '../errors.js';

/** Where this process sits in the group. */
export interface RankEnvironment {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
}

/** The layout `--nproc-per-node N [--nnodes M --node-rank R --master-addr H --master-port P]` describes. */
export interface LaunchLayout {
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
}

const ENV_NAMES = ['RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT'] as const;

function wholeNumber(name: string, text: string | undefined, min: number): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(value) || value < min)
    throw new ConfigError(`${name}=${text ?? ''}: expected a whole number >= ${min}`);
  return value;
}

/**
 * The rank environment a launcher set, or null when this process was not launched as a rank (no RANK and no
 * WORLD_SIZE). A partial or inconsistent environment is an error naming the variable.
 */
export function rankFromEnvironment(env: NodeJS.ProcessEnv = process.env): RankEnvironment | null {
  if (env.RANK === undefined && env.WORLD_SIZE === undefined) return null;
  const missing = ENV_NAMES.filter((name) => name !== 'LOCAL_RANK' && env[name] === undefined);
  if (missing.length > 0)
    throw new ConfigError(`data-parallel environment incomplete: ${missing.join(', ')} not set`);
  const worldSize = wholeNumber('WORLD_SIZE', env.WORLD_SIZE, 1);
  const rank = wholeNumber('RANK', env.RANK, 0);
  if (rank >= worldSize) throw new ConfigError(`RANK=${rank} must be below WORLD_SIZE=${worldSize}`);
  return {
    rank,
    worldSize,
    localRank: env.LOCAL_RANK === undefined ? rank : wholeNumber('LOCAL_RANK', env.LOCAL_RANK, 0),
    masterAddr: env.MASTER_ADDR!,
    masterPort: wholeNumber('MASTER_PORT', env.MASTER_PORT, 1),
  };
}

/** The environment of each local worker of this node. */
export function workerEnvironments(layout: LaunchLayout): Array<Record<(typeof ENV_NAMES)[number], string>> {
  const { nprocPerNode, nnodes, nodeRank } = layout;
  if (nodeRank >= nnodes) throw new ConfigError(`--node-rank ${nodeRank} must be below --nnodes ${nnodes}`);
  return Array.from({ length: nprocPerNode }, (_, localRank) => ({
    RANK: String(nodeRank * nprocPerNode + localRank),
    WORLD_SIZE: String(nprocPerNode * nnodes),
    LOCAL_RANK: String(localRank),
    MASTER_ADDR: layout.masterAddr,
    MASTER_PORT: String(layout.masterPort),
  }));
}

/** How long the others get to exit after SIGTERM before SIGKILL. */
const GRACE_MS = 10_000;

/** One process a launcher starts: its arguments and environment, and the error that names it when it fails. */
export interface SupervisedProcess {
  /** How logs name it ("rank 1"). */
  label: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  failed: (how: string) => Error;
}

/**
 * Runs this node's workers (`command args` with each worker's rank environment) and waits for them. Resolves when
 * all exit with 0; when one fails (non-zero code or a signal), stops the others and rejects with a
 * DistributedError naming the first rank that failed. SIGINT / SIGTERM to the launcher stop every worker.
 */
export function superviseWorkers(
  command: string,
  args: readonly string[],
  layout: LaunchLayout,
  log: (line: string) => void,
): Promise<void> {
  const workers = workerEnvironments(layout).map((env) => ({
    label: `rank ${env.RANK}`,
    args,
    env,
    failed: (how: string) =>
      new DistributedError(Number(env.RANK), 'worker', `${how}; stopping the other workers of this node`),
  }));
  return superviseProcesses(command, workers, log);
}

export interface SuperviseOptions {
  /** 'ignore' when the launcher prints the result itself (default 'inherit'). */
  stdout?: 'inherit' | 'ignore';
  /**
   * Forward each process's stderr line by line, prefixed with `[label] `, so that the lines of processes running
   * side by side can be told apart (their progress bars are then off: stderr is no terminal).
   */
  prefixStderr?: boolean;
}

/** Copies `stream` to this process's stderr a line at a time, each line prefixed. */
function prefixLines(stream: Readable, prefix: string): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
    process.stderr.write(`${prefix}${line}\n`),
  );
}

/**
 * Starts `command` once per process (each with its arguments and, over this process's, its environment) and waits
 * for all. Resolves when all exit with 0; when one fails (non-zero code or a signal), stops the others (SIGTERM,
 * then SIGKILL after a grace period) and rejects with that process's error. SIGINT / SIGTERM to the launcher stop
 * every process.
 */
export function superviseProcesses(
  command: string,
  processes: readonly SupervisedProcess[],
  log: (line: string) => void,
  options: SuperviseOptions = {},
): Promise<void> {
  const workers = processes.map((spec) => {
    const child = spawn(command, spec.args, {
      env: { ...process.env, ...spec.env },
      stdio: ['inherit', options.stdout ?? 'inherit', options.prefixStderr ? 'pipe' : 'inherit'],
    });
    if (options.prefixStderr) prefixLines(child.stderr!, `[${spec.label}] `);
    return { spec, child };
  });
  const stopAll = (signal: NodeJS.Signals) => {
    for (const { child } of workers)
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`launcher: ${signal}, stopping ${workers.length} process(es)`);
    stopAll('SIGTERM');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let failure: Error | null = null;
  return new Promise<void>((resolve, reject) => {
    let running = workers.length;
    for (const { spec, child } of workers) {
      let settled = false;
      const settle = (how: string | null) => {
        if (settled) return;
        settled = true;
        running--;
        if (how !== null && failure === null) {
          failure = spec.failed(how);
          log(`launcher: ${spec.label} ${how}; stopping the others`);
          stopAll('SIGTERM');
          setTimeout(() => stopAll('SIGKILL'), GRACE_MS).unref();
        }
        if (running === 0) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          if (failure) reject(failure);
          else resolve();
        }
      };
      child.on('exit', (code, signal) =>
        settle(signal !== null ? `was killed by ${signal}` : code !== 0 ? `exited with code ${code}` : null),
      );
      // A process that never started emits no 'exit': it counts as failed here (other errors only log).
      child.on('error', (error: Error) => {
        if (child.pid === undefined) settle(`could not start (${error.message})`);
        else log(`launcher: ${spec.label}: ${error.message}`);
      });
    }
  });
}
