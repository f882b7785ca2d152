import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** Repository root, found from this file's location (src/ under jest, dist/ when built). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Where tooling/python/setup-grader-venv.sh puts the venv unless COMPUTOR_GRADER_VENV says otherwise. */
export const DEFAULT_GRADER_VENV = path.join(REPO_ROOT, '.cache', 'grader-venv');

export const ZGraderConfig = z.object({
  /** Interpreter for graded Python code: `<venv>/bin/python` of a venv built from Debian's python3. */
  pythonBin: z.string().default(path.join(DEFAULT_GRADER_VENV, 'bin', 'python')),
  bwrapBin: z.string().default('/usr/bin/bwrap'),
  prlimitBin: z.string().default('/usr/bin/prlimit'),
  setprivBin: z.string().default('/usr/bin/setpriv'),
  /**
   * First uid of the pool that sandboxed runs execute as; every concurrent run gets its own uid so
   * that RLIMIT_NPROC (counted per uid) bounds that run alone. Worker processes sharing a host need
   * disjoint ranges.
   */
  uidBase: z.number().int().min(1000).default(61000),
  uidCount: z.number().int().min(1).max(4096).default(32),
  /**
   * Host-wide lock files for the uids in use (root-only; /run is cleared at boot), so that workers
   * with overlapping ranges never share a uid. Workers in containers on one host share it by
   * mounting the same host directory here; null disables the locks.
   */
  uidLockDir: z.string().nullable().default('/run/computor-grader/uid-locks'),
  /** CPU bandwidth of one run's whole process tree, in cores (cgroups only; RLIMIT_CPU bounds each process). */
  runCpuCores: z.number().min(0.1).max(64).default(1),
  /** Files (inodes) each of a run's two tmpfs mounts, /tmp and /work, may hold. */
  tmpfsInodes: z.number().int().min(64).max(1_000_000).default(16_384),
  /** Collections of one submission graded at the same time. */
  concurrency: z.number().int().min(1).default(2),
  /** Bytes of each stream of a run embedded in the report (the checks see up to `outputBytes`). */
  reportOutputBytes: z.number().int().min(0).default(64 * 1024),
  /** A stream that goes past this many bytes gets its run killed (counted, never stored). */
  outputDrainBytes: z.number().int().positive().default(256 * 1024 * 1024),
  /**
   * Extra environment for graded code, e.g. OPENBLAS_CORETYPE on CPUs where the bundled OpenBLAS
   * needs it. Never secrets: graded code can read all of it.
   */
  sandboxEnv: z.record(z.string(), z.string()).default({}),
  /**
   * `auto`: confine each run's whole process tree in a cgroup (memory, pids, CPU) when `cgroupRoot`
   * is a cgroup v2 hierarchy offering those controllers to the worker's cgroup, or holds writable
   * cgroup v1 memory and pids controllers (and cpu for the CPU bound); `required`: refuse to grade
   * without; `off`:
   * per-process rlimits only.
   */
  cgroups: z.enum(['auto', 'required', 'off']).default('auto'),
  cgroupRoot: z.string().default('/sys/fs/cgroup'),
  /**
   * Parent of this process's private (0700, mkdtemp) directory for per-run scratch space and
   * compiled programs; used as is when it already is such a directory (the worker passes its own).
   */
  tmpDir: z.string().default(os.tmpdir()),
});
export type TGraderConfig = z.infer<typeof ZGraderConfig>;
export type TGraderConfigInput = z.input<typeof ZGraderConfig>;

export function resolveGraderConfig(input: TGraderConfigInput = {}): TGraderConfig {
  return ZGraderConfig.parse(input);
}
