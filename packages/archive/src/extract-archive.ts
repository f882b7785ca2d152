import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { type TArchiveLimitsInput } from './limits';
import { readArchiveContents } from './read-archive';

const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;
// Fails if anything, including a symlink, already sits at the final path component.
const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Validates the whole archive first (in memory, bounded by the limits), then writes it into
 * `destDir`, which must exist and be empty. Files get 0o644 and directories 0o755 (less the
 * umask) whatever the archive says: no exec, setuid or setgid bits reach the disk. Returns the
 * relative paths of the files written. Rejects with `ArchiveError` before writing anything
 * when the archive is refused; a plain `Error` means the destination was unusable.
 */
export async function extractArchive(input: Buffer, destDir: string, limits?: TArchiveLimitsInput): Promise<string[]> {
  const root = await realpath(destDir);
  if (!(await lstat(root)).isDirectory()) throw new Error(`extraction target is not a directory: ${destDir}`);
  if ((await readdir(root)).length > 0) throw new Error(`extraction target is not empty: ${destDir}`);

  const { files, directories } = await readArchiveContents(input, limits);
  for (const directory of directories) await makeDirectory(join(root, directory));
  for (const file of files) {
    const handle = await open(join(root, file.path), CREATE_EXCLUSIVE, FILE_MODE);
    try {
      await handle.writeFile(file.data);
    } finally {
      await handle.close();
    }
  }
  return files.map((file) => file.path);
}

// Parents come before children, so each parent was made here and checked to be a real directory.
async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: DIRECTORY_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const stat = await lstat(path);
    if (!stat.isDirectory()) throw new Error(`extraction target changed underneath: ${path} is not a directory`);
  }
}
