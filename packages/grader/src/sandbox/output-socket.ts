import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

// stdout and stderr of a run, read without an allocation per read. Node's own stdio pipes allocate
// a 64 KiB buffer for every read and free it only at a garbage collection, which V8 triggers after
// ~64 MiB of such memory: a program writing 256 MiB (the drain limit) cost the worker ~40 MiB of
// RSS. Here each stream is a connected pair of UNIX sockets (made through a listening socket in
// the run's private scratch directory, 0700, gone right after): the child gets one end, this
// process reads the other into one reused buffer (`onread`).

const SOCKET_PATH_MAX = 100;
const READ_BUFFER = 64 * 1024;

export interface TOutputSockets {
  /** The ends for the child's stdio, one per stream, in order. */
  children: net.Socket[];
  /** Closes this process's copies of the child ends (once spawned, the child holds its own). */
  releaseChildren(): void;
  /** Resolves when every stream has reached its end, or `graceMs` after `finish` was called. */
  ended(graceMs: number): Promise<void>;
  destroy(): void;
}

async function socketPair(file: string, onChunk: (chunk: Buffer) => void): Promise<{ child: net.Socket; reader: net.Socket }> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, resolve);
  });
  try {
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    const reader = net.connect({
      path: file,
      onread: {
        buffer,
        callback: (bytes: number, buf: Uint8Array): boolean => {
          onChunk(Buffer.from(buf.buffer, buf.byteOffset, bytes));
          return true;
        },
      },
    });
    await new Promise<void>((resolve, reject) => {
      reader.once('connect', resolve);
      reader.once('error', reject);
    });
    const child = await accepted;
    reader.on('error', () => undefined);
    return { child, reader };
  } finally {
    server.close();
    fs.rmSync(file, { force: true });
  }
}

/** One socket pair per consumer, or undefined when the directory's path is too long for a socket. */
export async function outputSockets(dir: string, consumers: Array<(chunk: Buffer) => void>): Promise<TOutputSockets | undefined> {
  if (path.join(dir, 'out-0.sock').length > SOCKET_PATH_MAX) return undefined;
  const pairs: Array<{ child: net.Socket; reader: net.Socket }> = [];
  try {
    for (const [index, consumer] of consumers.entries()) pairs.push(await socketPair(path.join(dir, `out-${index}.sock`), consumer));
  } catch {
    for (const pair of pairs) {
      pair.child.destroy();
      pair.reader.destroy();
    }
    return undefined;
  }
  const closed = Promise.all(pairs.map((pair) => new Promise<void>((resolve) => pair.reader.once('close', () => resolve()))));
  const destroy = (): void => {
    for (const pair of pairs) {
      pair.child.destroy();
      pair.reader.destroy();
    }
  };
  return {
    children: pairs.map((pair) => pair.child),
    releaseChildren: () => {
      for (const pair of pairs) pair.child.destroy();
    },
    ended: async (graceMs) => {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          destroy();
          resolve();
        }, graceMs);
      });
      await Promise.race([closed, grace]);
      clearTimeout(timer);
    },
    destroy,
  };
}
