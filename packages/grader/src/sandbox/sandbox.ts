import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCgroupName, type TCgroups, type TRunCgroup } from './cgroup';
import type { TEffectiveLimits } from './limits';
import { OutputCapture, ResultChannel, type TChannelProblem } from './output-capture';
import { outputSockets } from './output-socket';
import { privateDirIn } from './private-dir';
import { seccompProgram } from './seccomp';
import { launchInline, SpawnHelper, type TLaunched } from './spawner';
import { uidPoolFor, waitForUidToDrain, type UidPool } from './uid-pool';

// Every run of graded code (student or reference, compile or execute) goes through here:
// bubblewrap builds a throw-away root (read-only /usr, a minimal /etc, a size-capped tmpfs work
// directory holding only the files passed in), new network/PID/IPC/UTS namespaces, a clean
// environment; prlimit sets rlimits; setpriv drops to a run-private uid with no capabilities and
// no_new_privs; a seccomp filter (seccomp.ts) denies namespaces, mounts, ptrace, bpf, io_uring and
// the like. A wall-clock timer kills the whole process group; the PID namespace takes every
// descendant with it, and the run's cgroup (when there is one) is killed at the end of every run.

export interface TSandboxSettings {
  bwrapBin: string;
  prlimitBin: string;
  setprivBin: string;
  uidBase: number;
  uidCount: number;
  /** Parent of this process's private scratch directory (see private-dir.ts), or that directory. */
  tmpDir: string;
  outputDrainBytes: number;
  /** Host-wide uid locks (uid-pool.ts); null or absent: this process's pool only. */
  uidLockDir?: string | null;
  /** CPU bandwidth of a run in cores, with cgroups (default 1). */
  runCpuCores?: number;
  /** Inodes of each of the run's tmpfs mounts (default 16384). */
  tmpfsInodes?: number;
  /** Extra environment for every run (e.g. OPENBLAS_CORETYPE on CPUs that need it). */
  extraEnv?: Record<string, string>;
  /** A cgroup per run bounding the memory and processes of its whole tree (see cgroup.ts). */
  cgroups?: TCgroups | null;
  /** false: start runs from this process, not from the spawn helper (spawner.ts; the fallback, for tests). */
  spawnHelper?: boolean;
}

/** A file placed into the sandbox: relative paths land in the work directory, absolute ones under /tmp. */
export interface TSandboxFile {
  path: string;
  /** Host file to copy (opened by the launcher without following symlinks; a regular file only), or literal content. */
  hostPath?: string;
  content?: string | Buffer;
  mode?: number;
}

export interface TSandboxBind {
  hostPath: string;
  sandboxPath: string;
}

export interface TSandboxRunRequest {
  argv: string[];
  files?: TSandboxFile[];
  roBinds?: TSandboxBind[];
  rwBinds?: TSandboxBind[];
  env?: Record<string, string>;
  stdin?: string | Buffer;
  limits: TEffectiveLimits;
  signal?: AbortSignal | undefined;
  /**
   * Side channel for a driver: `input` is written to fd 3; fd 4 is read as a framed report that
   * must start with `token` and carry at most `maxBytes` (see ResultChannel).
   */
  channel?: { input: Buffer; token: string; maxBytes: number };
}

/** `tampered`: the run wrote something other than its driver's report to the result channel. */
export type TSandboxOutcome = 'exited' | 'signaled' | 'timeout' | 'cpu_limit' | 'file_size_limit' | 'output_limit' | 'memory_limit' | 'tampered' | 'infra_error';

export interface TSandboxRunResult {
  outcome: TSandboxOutcome;
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  stdoutBytes: number;
  stderrBytes: number;
  /** The report's payload, when a channel was requested and arrived whole and well-framed. */
  channel: Buffer | null;
  channelProblem: TChannelProblem | undefined;
  durationMs: number;
  infraMessage?: string;
}

export const WORK_DIR = '/work';
const STATUS_LIMIT = 4096;
const OUTPUT_END_GRACE_MS = 2000;
/** Warnings, the error and the other fields of a report, beyond the values it carries. */
export const REPORT_OVERHEAD_BYTES = 1024 * 1024;

/**
 * The first process in the sandbox (as the sandbox's root, so graded code can neither signal it
 * nor open its descriptors): closes every descriptor but 0-2 (0-4 for a driver) that this process
 * or bwrap left open, forks, execs the rest of the command line (prlimit, setpriv, the program),
 * waits, and writes the real wait status to fd 5, which the program never holds. A program that
 * exits with 152 is `exit 152`, one killed by SIGXCPU `signal 24`: bwrap's own exit code, 128 + n
 * for both, could not tell them apart. Plain perl without modules: ~5 ms.
 */
const SUPERVISOR_BIN = '/usr/bin/perl';
const SUPERVISOR = [
  'my $keep = shift @ARGV;',
  "opendir(my $d, '/proc/self/fd') or die \"sandbox: no /proc/self/fd\\n\";",
  'my @fds = grep { /^\\d+$/ } readdir $d;',
  'closedir $d;',
  "sub shut { open(my $h, '<&=', $_[0]) and close $h }",
  'my $pid = fork;',
  'defined $pid or die "sandbox: fork failed: $!\\n";',
  'if (!$pid) { shut($_) for grep { $_ > $keep } @fds; exec { $ARGV[0] } @ARGV; print STDERR "cannot run $ARGV[0]: $!\\n"; exit 127 }',
  'shut($_) for grep { $_ != 5 } @fds;',
  'waitpid($pid, 0) == $pid or exit 3;',
  'my $s = $?;',
  "open(my $out, '>&=', 5) or exit 4;",
  "syswrite $out, ($s & 127 ? 'signal ' . ($s & 127) : 'exit ' . ($s >> 8)) . \"\\n\";",
  'exit 0;',
].join('\n');
const SUPERVISOR_STATUS = /^(exit|signal) (\d+)$/m;

export class SandboxAbortedError extends Error {
  override readonly name = 'AbortError';
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new SandboxAbortedError('grading was cancelled');
}

const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(os.constants.signals).map(([name, number]) => [number, name]),
);

function hostRootLayout(): string[] {
  const args: string[] = ['--ro-bind', '/usr', '/usr'];
  for (const entry of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const hostPath = `/${entry}`;
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(hostPath);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(hostPath), hostPath);
    else if (stat.isDirectory()) args.push('--ro-bind', hostPath, hostPath);
  }
  return args;
}

/** Host files under /etc that programs need and that hold nothing secret. */
const HOST_ETC = ['ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'localtime', 'fonts', 'alternatives', 'mime.types'];

// Run start-up, before bwrap, in one small process that then becomes bwrap: PR_SET_PDEATHSIG, so
// bwrap dies with its parent (the spawn helper, which goes with the worker, or the worker itself;
// --die-with-parent takes the sandbox with bwrap), giving up if that parent is already gone; a
// mount namespace of its own, where it mounts the run's two tmpfs with size and inode caps
// (bwrap's --tmpfs has no inode option; the mounts vanish with the run's last process); then it
// joins the run's cgroups, so every process of the run starts inside. Arguments: syscall numbers
// (prctl unshare mount), the parent's pid, count + cgroup.procs files, count + (mount point, tmpfs
// options) pairs, the command.
const LAUNCHER = String.raw`my ($prctl, $unshare, $mount, $parent) = splice(@ARGV, 0, 4);
syscall($prctl, 1, 9, 0, 0, 0) == 0 or die "launcher: prctl: $!\n";
getppid() == $parent or exit 125;
syscall($unshare, 0x20000) == 0 or die "launcher: unshare: $!\n";
my ($none, $root, $tmpfs) = ('none', '/', 'tmpfs');
syscall($mount, $none, $root, 0, 0x44000, 0) == 0 or die "launcher: mount: $!\n";
for (1 .. shift @ARGV) { my $f = shift @ARGV; my $h; open($h, '>', $f) && print($h "$$\n") && close($h) or die "launcher: $f: $!\n" }
for (1 .. shift @ARGV) { my ($dir, $opts) = splice(@ARGV, 0, 2); syscall($mount, $tmpfs, $dir, $tmpfs, 6, $opts) == 0 or die "launcher: mount $dir: $!\n" }
exec { $ARGV[0] } @ARGV or die "launcher: $ARGV[0]: $!\n";
`;
const LAUNCHER_SYSCALLS: Partial<Record<NodeJS.Architecture, string[]>> = { x64: ['157', '272', '165'], arm64: ['167', '97', '40'] };
// bwrap, its pid 1 and the prlimit/setpriv steps run in the cgroup too.
const CGROUP_PID_HEADROOM = 8;
// A run that has used this much CPU, or runs this many processes (bwrap, the supervisor and the
// program are 4), is weighted down to 1/64 (cgroup.ts): when the CPUs are contended, runs of
// normal size go first and hogs and bombs share what is left; uncontended, every run still gets
// its core. Where CPU usage cannot be read, a run is weighted down once it has run this long.
const DEMOTE_AFTER_CPU_SECONDS = 1;
const DEMOTE_AT_PROCESSES = 12;
const DEMOTE_CHECK_MS = 100;
/** Generated /etc files, copied into the sandbox's /etc (no shadow, no host accounts). */
const ETC_FILES = ['passwd', 'group', 'hosts', 'nsswitch.conf'];
let runCounter = 0;
/** One per process: every sandbox's runs start from it (spawner.ts). */
const spawnHelper = new SpawnHelper();
const seccompFiles = new Map<string, string>();
const etcDirs = new Map<string, string>();

function writeExclusive(file: string, content: string | Buffer): void {
  fs.writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
}

export class Sandbox {
  private readonly pool: UidPool;
  private readonly rootLayout = hostRootLayout();

  constructor(private readonly settings: TSandboxSettings) {
    this.pool = uidPoolFor(settings.uidBase, settings.uidCount, settings.uidLockDir ?? null);
  }

  private get privateDir(): string {
    return privateDirIn(this.settings.tmpDir);
  }

  /** The compiled seccomp filter, written once per private directory. */
  private seccompFile(): string {
    const dir = this.privateDir;
    let file = seccompFiles.get(dir);
    if (!file) {
      file = fs.mkdtempSync(path.join(dir, 'seccomp-'));
      writeExclusive(path.join(file, 'filter.bpf'), seccompProgram());
      file = path.join(file, 'filter.bpf');
      seccompFiles.set(dir, file);
    }
    return file;
  }

  /** Generated passwd/group/hosts for the sandbox, written once per private directory and uid range. */
  private ensureEtc(): string {
    const key = `${this.privateDir}:${this.settings.uidBase}:${this.settings.uidCount}`;
    const known = etcDirs.get(key);
    if (known) return known;
    const users = Array.from({ length: this.settings.uidCount }, (_, i) => this.settings.uidBase + i);
    const files: Record<string, string> = {
      passwd: ['root:x:0:0:root:/root:/usr/sbin/nologin', ...users.map((u) => `grader${u}:x:${u}:${u}:graded code:/tmp:/usr/sbin/nologin`)].join('\n') + '\n',
      group: ['root:x:0:', ...users.map((u) => `grader${u}:x:${u}:`)].join('\n') + '\n',
      hosts: '127.0.0.1 localhost sandbox\n::1 localhost sandbox\n',
      'nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files\n',
    };
    const dir = fs.mkdtempSync(path.join(this.privateDir, 'etc-'));
    for (const [name, content] of Object.entries(files)) writeExclusive(path.join(dir, name), content);
    etcDirs.set(key, dir);
    return dir;
  }

  async run(request: TSandboxRunRequest): Promise<TSandboxRunResult> {
    const { signal } = request;
    if (signal?.aborted) throw abortError(signal);
    const uid = await this.pool.acquire(signal);
    let scratch: string;
    try {
      scratch = fs.mkdtempSync(path.join(this.privateDir, 'run-'));
    } catch (error) {
      this.pool.release(uid);
      return infraResult(`could not create the run's scratch directory: ${(error as Error).message}`);
    }
    let clean = false;
    let cgroup: TRunCgroup | undefined;
    let demotion: NodeJS.Timeout | undefined;
    try {
      if (this.settings.cgroups) {
        try {
          // Tree total: the per-process limit plus the two tmpfs mounts (their pages are charged here).
          const memoryBytes = request.limits.memoryBytes + 2 * request.limits.workDirBytes;
          cgroup = this.settings.cgroups.create(runCgroupName(uid, ++runCounter), {
            memoryBytes,
            maxProcesses: request.limits.maxProcesses + CGROUP_PID_HEADROOM,
            cpuCores: this.settings.runCpuCores ?? 1,
          });
        } catch (error) {
          return infraResult(`could not create the run's cgroup: ${(error as Error).message}`);
        }
        const created = cgroup;
        const started = Date.now();
        demotion = setInterval(() => {
          if ((created.cpuSeconds() ?? (Date.now() - started) / 1000) < DEMOTE_AFTER_CPU_SECONDS && created.processes() < DEMOTE_AT_PROCESSES) return;
          created.demote();
          clearInterval(demotion);
        }, DEMOTE_CHECK_MS);
      }
      const result = await this.runAs(uid, scratch, request, cgroup);
      clean = result.outcome === 'exited' || result.outcome === 'infra_error';
      return result;
    } finally {
      clearInterval(demotion);
      await cgroup?.remove().catch(() => undefined);
      // A killed tree (timeout, fork bomb, cancellation) may still be dying: give the uid back
      // only once the kernel has reaped it, or it would eat into the next run's process limit.
      if (!clean) await waitForUidToDrain(uid, 5000);
      fs.rmSync(scratch, { recursive: true, force: true });
      this.pool.release(uid);
    }
  }

  private buildArgs(uid: number, scratch: string, request: TSandboxRunRequest): { args: string[]; files: string[]; mounts: string[] } {
    const { limits } = request;
    const etc = this.ensureEtc();
    const args: string[] = [
      '--die-with-parent',
      '--new-session',
      '--unshare-ipc',
      '--unshare-pid',
      '--unshare-net',
      '--unshare-uts',
      '--unshare-cgroup-try',
      '--hostname',
      'sandbox',
      // Only what setpriv needs to switch to the run's uid; it drops them before the program runs.
      '--cap-add',
      'CAP_SETUID',
      '--cap-add',
      'CAP_SETGID',
      '--cap-add',
      'CAP_SETPCAP',
      ...this.rootLayout,
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--perms',
      '0755',
      '--dir',
      '/etc',
    ];
    for (const name of HOST_ETC) args.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
    // The run's tmpfs, mounted by the launcher with size and inode caps and bound from the scratch
    // dir (a tmpfs root: mountinfo shows no host path for it).
    const mounts: string[] = [];
    for (const [name, target, mode] of [['tmp', '/tmp', '1777'], ['work', WORK_DIR, '0777']] as const) {
      const mountPoint = path.join(scratch, name);
      fs.mkdirSync(mountPoint, { mode: 0o700 });
      mounts.push(mountPoint, `size=${limits.workDirBytes},nr_inodes=${this.settings.tmpfsInodes ?? 16_384},mode=${mode}`);
      args.push('--bind', mountPoint, target);
    }
    args.push('--perms', '0755', '--dir', '/opt');
    // bwrap would create missing parents of a mount point as 0700, unreadable for the run's uid.
    const parents = new Set<string>();
    for (const bind of [...(request.roBinds ?? []), ...(request.rwBinds ?? [])]) {
      for (let dir = path.posix.dirname(bind.sandboxPath); dir !== '/' && dir !== '/opt'; dir = path.posix.dirname(dir)) parents.add(dir);
    }
    for (const dir of [...parents].sort((a, b) => a.length - b.length)) args.push('--perms', '0755', '--dir', dir);
    for (const bind of request.roBinds ?? []) args.push('--ro-bind', bind.hostPath, bind.sandboxPath);
    for (const bind of request.rwBinds ?? []) args.push('--bind', bind.hostPath, bind.sandboxPath);

    // Files arrive as file descriptors at child fd 6, 7, ...: bwrap copies them into the tmpfs. The
    // launcher opens them (spawner.ts): no symlink followed, nothing but a regular file taken.
    const files: string[] = [];
    const fileArgs: string[] = [];
    const dirs = new Set<string>();
    for (const file of request.files ?? []) {
      const target = file.path.startsWith('/') ? file.path : path.posix.join(WORK_DIR, file.path);
      if (!(target.startsWith(`${WORK_DIR}/`) || target.startsWith('/tmp/')) || target.split('/').includes('..')) {
        throw new Error(`sandbox file outside the work directory: ${file.path}`);
      }
      for (let dir = path.posix.dirname(target); dir !== WORK_DIR && dir !== '/tmp' && dir !== '/'; dir = path.posix.dirname(dir)) dirs.add(dir);
      if (file.hostPath !== undefined) files.push(file.hostPath);
      else {
        const staged = path.join(scratch, `file-${files.length}`);
        fs.writeFileSync(staged, file.content ?? '', { mode: 0o600 });
        files.push(staged);
      }
      fileArgs.push('--perms', (file.mode ?? 0o666).toString(8).padStart(4, '0'), '--file', String(5 + files.length), target);
    }
    for (const dir of [...dirs].sort((a, b) => a.length - b.length)) args.push('--perms', '0777', '--dir', dir);
    args.push(...fileArgs);
    // Passed as descriptors after the files: the generated /etc files (copied in, so mountinfo
    // shows no host path), the seccomp filter, and last bwrap's own arguments (`--args`), so that
    // /proc/1/cmdline in the sandbox shows none of this command line.
    const extraFd = (file: string): number => {
      files.push(file);
      return 5 + files.length;
    };
    for (const name of ETC_FILES) args.push('--perms', '0644', '--file', String(extraFd(path.join(etc, name))), `/etc/${name}`);
    args.push('--seccomp', String(extraFd(this.seccompFile())));

    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/tmp',
      TMPDIR: '/tmp',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      MPLBACKEND: 'Agg',
      PYTHONHASHSEED: '0',
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONIOENCODING: 'utf-8',
      OPENBLAS_NUM_THREADS: '1',
      OMP_NUM_THREADS: '1',
      MKL_NUM_THREADS: '1',
      ...this.settings.extraEnv,
      ...request.env,
    };
    args.push('--clearenv');
    for (const [key, value] of Object.entries(env)) args.push('--setenv', key, value);
    args.push('--chdir', WORK_DIR);
    // bwrap reads only options from `--args`; the command stays on its command line.
    const argsFile = path.join(scratch, 'args');
    writeExclusive(argsFile, Buffer.concat(args.map((arg) => Buffer.from(`${arg}\0`))));
    const command = [
      SUPERVISOR_BIN,
      '-e',
      SUPERVISOR,
      request.channel ? '4' : '2',
      this.settings.prlimitBin,
      `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
      `--as=${limits.memoryBytes}`,
      `--nproc=${limits.maxProcesses}`,
      `--fsize=${limits.fileSizeBytes}`,
      `--nofile=${limits.openFiles}`,
      '--core=0',
      '--',
      this.settings.setprivBin,
      `--reuid=${uid}`,
      `--regid=${uid}`,
      '--clear-groups',
      '--no-new-privs',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
      ...request.argv,
    ];
    return { args: ['--args', String(extraFd(argsFile)), '--', ...command], files, mounts };
  }

  private async runAs(uid: number, scratch: string, request: TSandboxRunRequest, cgroup?: TRunCgroup): Promise<TSandboxRunResult> {
    const { limits, signal } = request;
    let built: { args: string[]; files: string[]; mounts: string[] };
    try {
      built = this.buildArgs(uid, scratch, request);
    } catch (error) {
      return infraResult(`could not prepare the sandbox: ${(error as Error).message}`);
    }
    let kill: (reason: TSandboxOutcome | 'aborted') => void = () => undefined;
    const stdout = new OutputCapture(limits.outputBytes, this.settings.outputDrainBytes, () => kill('output_limit'));
    const stderr = new OutputCapture(limits.outputBytes, this.settings.outputDrainBytes, () => kill('output_limit'));
    // Sockets read into a reused buffer (output-socket.ts); node's pipes when they cannot be made.
    const outputs = await outputSockets(scratch, [(chunk) => stdout.push(chunk), (chunk) => stderr.push(chunk)]);
    const started = process.hrtime.bigint();
    return new Promise<TSandboxRunResult>((resolve, reject) => {
      let killedFor: TSandboxOutcome | 'aborted' | undefined;
      const procs = cgroup?.procsFiles ?? [];
      const syscalls = LAUNCHER_SYSCALLS[process.arch] ?? [];
      // The launcher checks that its parent is still the process that started it (see LAUNCHER).
      const launcherArgs = (parent: number) => ['-e', LAUNCHER, ...syscalls, String(parent), String(procs.length), ...procs, String(built.mounts.length / 2), ...built.mounts, this.settings.bwrapBin, ...built.args];
      const spec = { stdin: request.stdin, channelInput: request.channel?.input, files: built.files };
      const helperPid = outputs && this.settings.spawnHelper !== false ? spawnHelper.pid() : undefined;
      let child: TLaunched;
      try {
        if (outputs && helperPid !== undefined) {
          // The helper closes this process's copies of the child ends once it has them.
          child = spawnHelper.launch(SUPERVISOR_BIN, launcherArgs(helperPid), { ...spec, stdout: outputs.children[0]!, stderr: outputs.children[1]! });
        } else {
          child = launchInline(SUPERVISOR_BIN, launcherArgs(process.pid), { ...spec, stdout: outputs?.children[0], stderr: outputs?.children[1] });
          // The child holds its own copies now.
          outputs?.releaseChildren();
        }
      } catch (error) {
        outputs?.destroy();
        resolve(infraResult(`could not start the sandbox: ${(error as Error).message}`));
        return;
      }
      kill = (reason: TSandboxOutcome | 'aborted'): void => {
        killedFor ??= reason;
        child.kill();
      };
      const channel = request.channel
        ? new ResultChannel(request.channel.token, request.channel.maxBytes, (problem) => kill(problem === 'oversized' ? 'output_limit' : 'tampered'))
        : undefined;
      const status = new OutputCapture(STATUS_LIMIT, Number.MAX_SAFE_INTEGER, () => undefined);
      child.on('stdout', (chunk: Buffer) => stdout.push(chunk));
      child.on('stderr', (chunk: Buffer) => stderr.push(chunk));
      child.on('channel', (chunk: Buffer) => channel?.push(chunk));
      child.on('status', (chunk: Buffer) => status.push(chunk));

      const timer = setTimeout(() => kill('timeout'), limits.wallTimeoutMs);
      const onAbort = (): void => kill('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });

      child.on('error', (error: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        outputs?.destroy();
        resolve(infraResult(`could not start the sandbox: ${error.message}`));
      });
      // Every process that held stdout/stderr is gone once the sandbox is (PID namespace): their
      // ends follow at once; the grace only bounds a surprise.
      child.on('close', (code: number | null, killSignal: NodeJS.Signals | null) => void (outputs?.ended(OUTPUT_END_GRACE_MS) ?? Promise.resolve()).then(() => finish(code, killSignal)));
      const finish = (code: number | null, killSignal: NodeJS.Signals | null): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        if (killedFor === 'aborted' && signal) {
          reject(abortError(signal));
          return;
        }
        // Written by the supervisor alone; absent when the sandbox did not get as far as the program.
        const waitStatus = SUPERVISOR_STATUS.exec(status.buffer().toString('utf8'));
        const report = channel?.finish();
        const base = {
          stdout: stdout.buffer(),
          stderr: stderr.buffer(),
          stdoutBytes: stdout.total,
          stderrBytes: stderr.total,
          channel: report && 'payload' in report ? report.payload : null,
          channelProblem: report && 'problem' in report ? report.problem : undefined,
          durationMs,
        };
        if (killedFor) {
          resolve({ ...base, outcome: killedFor === 'aborted' ? 'infra_error' : killedFor, exitCode: null, signal: 'SIGKILL' });
          return;
        }
        if (cgroup && cgroup.oomKills() > 0) {
          resolve({ ...base, outcome: 'memory_limit', exitCode: code, signal: killSignal });
          return;
        }
        if (!waitStatus) {
          const message = stderr.buffer().toString('utf8').trim().split('\n').slice(-3).join(' ');
          resolve({ ...base, outcome: 'infra_error', exitCode: code, signal: killSignal, infraMessage: `sandbox did not start: ${message || `exit ${String(code ?? killSignal)}`}` });
          return;
        }
        const number = Number(waitStatus[2]);
        if (waitStatus[1] === 'signal') {
          const name = SIGNAL_NAMES[number] ?? `signal ${number}`;
          const outcome: TSandboxOutcome = name === 'SIGXCPU' ? 'cpu_limit' : name === 'SIGXFSZ' ? 'file_size_limit' : 'signaled';
          resolve({ ...base, outcome, exitCode: null, signal: name });
          return;
        }
        resolve({ ...base, outcome: 'exited', exitCode: number, signal: null });
      };
    });
  }
}

function infraResult(message: string): TSandboxRunResult {
  return {
    outcome: 'infra_error',
    exitCode: null,
    signal: null,
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
    stdoutBytes: 0,
    stderrBytes: 0,
    channel: null,
    channelProblem: undefined,
    durationMs: 0,
    infraMessage: message,
  };
}
