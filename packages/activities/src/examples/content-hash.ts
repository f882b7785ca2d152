import { createHash } from 'node:crypto';

/**
 * SHA-256 over the (path, content) pairs sorted by path: identical file sets hash equal whatever
 * their order, and each pair is length-prefixed so no two different sets can share a byte stream.
 */
export function exampleContentHash(files: ReadonlyArray<{ path: string; data: Buffer }>): string {
  const hash = createHash('sha256');
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    const path = Buffer.from(file.path, 'utf8');
    hash.update(`${path.length}:`);
    hash.update(path);
    hash.update(`${file.data.length}:`);
    hash.update(file.data);
  }
  return hash.digest('hex');
}

/** Object storage prefix of an example version's files (with the trailing slash). */
export function exampleObjectPrefix(identifier: string, versionTag: string): string {
  return `examples/${identifier}/${versionTag}/`;
}
