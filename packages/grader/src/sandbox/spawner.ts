import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type net from 'node:net';
import type { Readable, Writable } from 'node:stream';

// How a run's first process (the launcher, see sandbox.ts) is started. Node forks the whole
// calling process for every child (libuv on Linux), copying its page tables while its event loop
// waits: measured here, 0.6 ms from a 50 MB process, 7 ms from 150 MB, 16 ms (p90 45 ms) from
// 360 MB; a grading worker is 225-320 MB during a deadline burst, where those forks took 10 s of
// its main thread per 1,000 runs. So runs start from a small helper process instead, started once
// per worker: it receives the run's stdout/stderr sockets (the only descriptors that cross), opens
// the run's files itself (FILE_FLAGS, regular files only), writes stdin and the channel's input, and
// relays the channel's report and the supervisor's status back. The launcher's parent is the
// helper, so its death signal follows the helper, and the helper kills its runs and exits when the
// worker goes (its IPC channel closes). When the helper cannot be used, the run starts in-process.

/**
 * How the launcher opens the run's files (fd 6, 7, ...), by path: read-only, not through a symlink,
 * and not waiting on a FIFO (which is then refused with everything else that is not a regular file).
 */
const FILE_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

export interface TSpawnSpec {
  /** The child ends of the run's stdout/stderr sockets; without them, pipes (in-process only). */
  stdout?: net.Socket;
  stderr?: net.Socket;
  /** Written to stdin, which is then closed; undefined: no stdin. */
  stdin?: string | Buffer;
  /** Written to fd 3 (closed after), fd 4 read back; undefined: neither. */
  channelInput?: Buffer;
  /** Host paths of the files for fd 6, 7, ... (see FILE_FLAGS); anything but a regular file fails the start. */
  files: string[];
}

/**
 * A started launcher. Events: `stdout`, `stderr` (pipes, in-process only), `channel` (fd 4),
 * `status` (fd 5) with a Buffer each; `error` (it could not be started, or the helper died);
 * `close` (code, signal) once it exited and its descriptors are closed.
 */
export interface TLaunched extends EventEmitter {
  readonly pid: number | undefined;
  /** SIGKILLs its process group (the launcher's session: every process of the run). */
  kill(): void;
}

function killGroup(pid: number | undefined, child?: ChildProcess): void {
  try {
    if (pid !== undefined) process.kill(-pid, 'SIGKILL');
  } catch {
    child?.kill('SIGKILL');
  }
}

/** Starts the launcher as a child of this process (the fallback). */
export function launchInline(command: string, args: string[], spec: TSpawnSpec): TLaunched {
  const fds: number[] = [];
  const closeFds = () => {
    for (const fd of fds.splice(0)) fs.closeSync(fd);
  };
  const launched = new EventEmitter() as TLaunched & { pid: number | undefined };
  let child: ChildProcess;
  try {
    for (const file of spec.files) {
      const fd = fs.openSync(file, FILE_FLAGS);
      fds.push(fd);
      if (!fs.fstatSync(fd).isFile()) throw new Error(`not a regular file: ${file}`);
    }
    child = spawn(command, args, {
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', spec.stdout ?? 'pipe', spec.stderr ?? 'pipe', spec.channelInput ? 'pipe' : 'ignore', spec.channelInput ? 'pipe' : 'ignore', 'pipe', ...fds],
      detached: true,
      env: {},
    });
  } finally {
    closeFds();
  }
  launched.pid = child.pid;
  launched.kill = () => killGroup(child.pid, child);
  const stdio = child.stdio as unknown as Array<Readable | Writable | null>;
  child.stdout?.on('data', (chunk: Buffer) => launched.emit('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => launched.emit('stderr', chunk));
  (stdio[4] as Readable | null)?.on('data', (chunk: Buffer) => launched.emit('channel', chunk));
  (stdio[5] as Readable | null)?.on('data', (chunk: Buffer) => launched.emit('status', chunk));
  writeAndClose(child.stdin, spec.stdin);
  writeAndClose(stdio[3] as Writable | null, spec.channelInput);
  child.on('error', (error) => launched.emit('error', error));
  child.on('close', (code, signal) => launched.emit('close', code, signal));
  return launched;
}

// Node's stdio "pipes" are socket pairs, which the program could write back into: once the input
// is handed over, this end is closed, so such writes fail at once (EPIPE) instead of filling a
// buffer nobody reads and stalling the run.
function writeAndClose(stream: Writable | null, data: string | Buffer | undefined): void {
  if (!stream) return;
  stream.on('error', () => undefined);
  if (data !== undefined) stream.end(data, () => stream.destroy());
}

/** The helper: plain Node without modules of ours, from `node -e` (nothing to build or ship). */
const HELPER = String.raw`'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const runs = new Map();
const handles = new Map();
const send = (m) => { if (process.connected) process.send(m); };
const killGroup = (c) => { try { process.kill(-c.pid, 'SIGKILL'); } catch { try { c.kill('SIGKILL'); } catch {} } };
function writeAndClose(stream, data) {
  if (!stream) return;
  stream.on('error', () => undefined);
  if (data !== undefined && data !== null) stream.end(Buffer.from(data), () => stream.destroy());
}
function start(m) {
  const own = handles.get(m.id) || [];
  handles.delete(m.id);
  const fds = [];
  const release = () => { for (const fd of fds.splice(0)) { try { fs.closeSync(fd); } catch {} } for (const h of own) if (h) h.destroy(); };
  let child;
  try {
    for (const file of m.files) {
      const fd = fs.openSync(file, m.fileFlags);
      fds.push(fd);
      if (!fs.fstatSync(fd).isFile()) throw new Error('not a regular file: ' + file);
    }
    const channel = m.channelInput !== undefined && m.channelInput !== null;
    child = spawn(m.command, m.args, { stdio: [m.stdin !== undefined && m.stdin !== null ? 'pipe' : 'ignore', own[1], own[2], channel ? 'pipe' : 'ignore', channel ? 'pipe' : 'ignore', 'pipe', ...fds], detached: true, env: {} });
  } catch (error) {
    release();
    send({ t: 'error', id: m.id, message: error.message });
    return;
  }
  release();
  runs.set(m.id, child);
  send({ t: 'spawned', id: m.id, pid: child.pid });
  if (child.stdio[4]) child.stdio[4].on('data', (data) => send({ t: 'channel', id: m.id, data }));
  child.stdio[5].on('data', (data) => send({ t: 'status', id: m.id, data }));
  writeAndClose(child.stdin, m.stdin);
  writeAndClose(child.stdio[3], m.channelInput);
  child.on('error', (error) => send({ t: 'error', id: m.id, message: error.message }));
  child.on('close', (code, signal) => { runs.delete(m.id); send({ t: 'close', id: m.id, code, signal }); });
}
process.on('message', (m, handle) => {
  if (m.t === 'handle') {
    if (!handles.has(m.id)) handles.set(m.id, []);
    handles.get(m.id)[m.fd] = handle;
  } else if (m.t === 'spawn') start(m);
  else if (m.t === 'kill') { const c = runs.get(m.id); if (c) killGroup(c); }
});
process.on('disconnect', () => { for (const c of runs.values()) killGroup(c); process.exit(0); });
`;

type TRemote = TLaunched & { pid: number | undefined; killed: boolean };
type TFromHelper =
  | { t: 'spawned'; id: number; pid: number | undefined }
  | { t: 'error'; id: number; message: string }
  | { t: 'channel' | 'status'; id: number; data: Uint8Array }
  | { t: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** One helper per process, started on first use and again after it died. */
export class SpawnHelper {
  private proc: ChildProcess | undefined;
  private readonly runs = new Map<number, TRemote>();
  private nextId = 1;

  /** The helper's pid (the launcher's parent), starting it when none runs; undefined when it cannot start. */
  pid(): number | undefined {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null && this.proc.connected) return this.proc.pid;
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, ['-e', HELPER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', env: {} });
    } catch {
      return undefined;
    }
    if (proc.pid === undefined) return undefined;
    this.proc = proc;
    // Neither the helper nor its channel keeps this process alive; a run's own timer does while it runs.
    proc.unref();
    proc.channel?.unref();
    proc.on('message', (m: TFromHelper) => this.onMessage(m));
    proc.on('error', () => this.lost(proc, 'the spawn helper failed'));
    proc.on('exit', (code, signal) => this.lost(proc, `the spawn helper exited (${signal ?? `exit ${String(code)}`})`));
    return proc.pid;
  }

  /** Starts the launcher through the helper `pid()` answered (its pid is the launcher's expected parent). */
  launch(command: string, args: string[], spec: TSpawnSpec & { stdout: net.Socket; stderr: net.Socket }): TLaunched {
    const proc = this.proc;
    const id = this.nextId++;
    const run = new EventEmitter() as TRemote;
    run.pid = undefined;
    run.killed = false;
    run.kill = () => {
      if (run.pid !== undefined) killGroup(run.pid);
      else if (!run.killed) {
        run.killed = true;
        if (proc?.connected) proc.send({ t: 'kill', id });
      }
    };
    if (!proc?.connected) {
      process.nextTick(() => run.emit('error', new Error('the spawn helper is not running')));
      return run;
    }
    this.runs.set(id, run);
    // One handle per message; the channel keeps the order. Each socket is closed here once sent.
    // Node tracks a socket accepted by a server across the channel (for cluster), adding listeners
    // on both sides for every socket sent, never removed: these servers are gone, so untracked.
    for (const socket of [spec.stdout, spec.stderr]) (socket as { server?: unknown }).server = null;
    proc.send({ t: 'handle', id, fd: 1 }, spec.stdout, { keepOpen: false });
    proc.send({ t: 'handle', id, fd: 2 }, spec.stderr, { keepOpen: false });
    proc.send({ t: 'spawn', id, command, args, stdin: spec.stdin ?? null, channelInput: spec.channelInput ?? null, files: spec.files, fileFlags: FILE_FLAGS });
    return run;
  }

  private onMessage(m: TFromHelper): void {
    const run = this.runs.get(m.id);
    if (!run) return;
    switch (m.t) {
      case 'spawned':
        run.pid = m.pid;
        if (run.killed) killGroup(run.pid);
        break;
      case 'channel':
      case 'status':
        run.emit(m.t, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        break;
      case 'error':
        this.runs.delete(m.id);
        run.emit('error', new Error(m.message));
        break;
      case 'close':
        this.runs.delete(m.id);
        run.emit('close', m.code, m.signal);
        break;
    }
  }

  private lost(proc: ChildProcess, message: string): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    // Its runs died with it (their death signal); each fails as an infrastructure error.
    for (const [id, run] of this.runs) {
      this.runs.delete(id);
      run.emit('error', new Error(message));
    }
  }
}
