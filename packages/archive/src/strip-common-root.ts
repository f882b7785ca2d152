/**
 * Removes one top-level folder that every path shares (`project/a.py`, `project/b/c.py` become
 * `a.py`, `b/c.py`), as archives made by "compress this folder" have. Returns the input unchanged
 * when any path sits at the root or the first segments differ.
 */
export function stripCommonRoot<T extends { path: string }>(files: readonly T[]): T[] {
  const first = files[0];
  if (!first) return [...files];
  const slash = first.path.indexOf('/');
  if (slash === -1) return [...files];
  const prefix = first.path.slice(0, slash + 1);
  if (!files.every((file) => file.path.startsWith(prefix) && file.path.length > prefix.length)) return [...files];
  return files.map((file) => ({ ...file, path: file.path.slice(prefix.length) }));
}
