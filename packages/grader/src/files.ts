import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// Submissions are untrusted: a hand-in may contain symlinks to host files. Every read goes through
// these helpers, which accept only regular files whose real path lies inside the given root.

export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
}

/** Real path of `rel` inside `root` when it is a regular file there; undefined when missing. */
export async function regularFileInside(root: string, rel: string): Promise<string | undefined> {
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) throw new UnsafePathError(`unsafe path "${rel}"`);
  const rootReal = await fs.promises.realpath(root);
  const candidate = path.join(rootReal, rel);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.lstat(candidate);
  } catch {
    return undefined;
  }
  if (stat.isSymbolicLink()) throw new UnsafePathError(`"${rel}" is a symbolic link`);
  if (!stat.isFile()) return undefined;
  const real = await fs.promises.realpath(candidate);
  if (real !== candidate || !real.startsWith(rootReal + path.sep)) throw new UnsafePathError(`"${rel}" leaves its directory`);
  return real;
}

/** Opens a file found by `regularFileInside` without following a symlink swapped in meanwhile. */
export function openNoFollow(realPath: string): { fd: number; size: number } {
  const fd = fs.openSync(realPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  const stat = fs.fstatSync(fd);
  if (!stat.isFile()) {
    fs.closeSync(fd);
    throw new UnsafePathError(`"${realPath}" is not a regular file`);
  }
  return { fd, size: stat.size };
}

export async function readFileInside(root: string, rel: string, maxBytes: number): Promise<Buffer | undefined> {
  const real = await regularFileInside(root, rel);
  if (!real) return undefined;
  const { fd, size } = openNoFollow(real);
  try {
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    let offset = 0;
    while (offset < length) {
      const read = fs.readSync(fd, buffer, offset, length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** Regular files below `root` (relative, `/`-separated, sorted); symlinks and special files are skipped. */
export async function listRegularFiles(root: string, options: { exclude?: (rel: string) => boolean; maxFiles?: number } = {}): Promise<string[]> {
  const maxFiles = options.maxFiles ?? 10_000;
  const out: string[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    const entries = await fs.promises.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (options.exclude?.(rel)) continue;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel);
      else if (entry.isFile()) {
        out.push(rel);
        if (out.length > maxFiles) throw new Error(`more than ${maxFiles} files below ${root}`);
      }
    }
  }
  await walk(root, '');
  return out;
}

/** Content hash of a directory tree (paths and bytes), the identity of an example version. */
export async function hashDirectory(root: string, exclude?: (rel: string) => boolean): Promise<string> {
  const files = await listRegularFiles(root, exclude ? { exclude } : {});
  const hash = createHash('sha256');
  for (const rel of files) {
    const content = await fs.promises.readFile(path.join(root, rel));
    hash.update(`${rel}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}
