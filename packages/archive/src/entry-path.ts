import { ArchiveError } from './errors';
import { type TArchiveLimits } from './limits';

export interface TEntryPath {
  /** Normalised posix path relative to the archive root; '' is the root itself. */
  path: string;
  /** The name ended with a separator, which marks a directory in both zip and tar. */
  trailingSlash: boolean;
}

// Linux refuses longer segments (NAME_MAX) whatever the overall limit says.
const MAX_SEGMENT_BYTES = 255;
const DRIVE_LETTER = /^[A-Za-z]:/;

/**
 * Validates and normalises an entry name. Backslashes count as separators: Windows PowerShell's
 * Compress-Archive writes them, and on the way to a traversal check they must not hide a `..`.
 * `.` segments and repeated separators are dropped (`tar -C dir .` writes `./` everywhere); `..`
 * is refused anywhere, even where it would stay inside the root.
 */
export function parseEntryPath(rawName: string, limits: Pick<TArchiveLimits, 'maxPathLength' | 'maxDepth'>): TEntryPath {
  if (rawName.includes('\0')) throw new ArchiveError('invalid_name', 'entry name contains a NUL byte', rawName);
  if (hasControlCharacter(rawName)) throw new ArchiveError('invalid_name', 'entry name contains a control character', rawName);
  const name = rawName.replace(/\\/g, '/');
  if (name.startsWith('/')) throw new ArchiveError('absolute_path', 'entry name is an absolute path', rawName);
  if (DRIVE_LETTER.test(name)) throw new ArchiveError('absolute_path', 'entry name starts with a drive letter', rawName);

  const trailingSlash = name.endsWith('/');
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw new ArchiveError('path_traversal', 'entry name contains a ".." segment', rawName);
  if (segments.length === 0 && !trailingSlash) throw new ArchiveError('invalid_name', 'entry name is empty', rawName);
  if (segments.length > limits.maxDepth) {
    throw new ArchiveError('invalid_name', `entry path is deeper than ${limits.maxDepth} segments`, rawName);
  }
  if (segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)) {
    throw new ArchiveError('invalid_name', `entry path has a segment longer than ${MAX_SEGMENT_BYTES} bytes`, rawName);
  }
  const path = segments.join('/');
  if (Buffer.byteLength(path) > limits.maxPathLength) {
    throw new ArchiveError('invalid_name', `entry path is longer than ${limits.maxPathLength} bytes`, rawName);
  }
  return { path, trailingSlash };
}

/** Git's view of permissions: executable or not; never setuid, setgid, sticky or group/other write. */
export function normaliseMode(permissions: number): number {
  return (permissions & 0o111) !== 0 ? 0o755 : 0o644;
}

function hasControlCharacter(name: string): boolean {
  for (let i = 0; i < name.length; i += 1) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
