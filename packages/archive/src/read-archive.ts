import { detectArchiveFormat } from './detect-format';
import { ArchiveError } from './errors';
import { EntryCollector, type TArchiveContents, type TArchiveFile } from './entry-collector';
import { type TArchiveLimitsInput, ZArchiveLimits } from './limits';
import { readTar } from './tar';
import { readZip } from './zip';

/**
 * Validates a zip, tar or tar.gz completely and returns its regular files. Rejects with an
 * `ArchiveError` on the first problem; nothing is returned for a partly valid archive.
 */
export async function readArchive(input: Buffer, limits?: TArchiveLimitsInput): Promise<TArchiveFile[]> {
  return (await readArchiveContents(input, limits)).files;
}

/** Like `readArchive`, plus every directory (explicit entries and implied parents). */
export async function readArchiveContents(input: Buffer, limits?: TArchiveLimitsInput): Promise<TArchiveContents> {
  const parsed = ZArchiveLimits.parse(limits ?? {});
  if (input.length > parsed.maxArchiveBytes) {
    throw new ArchiveError('archive_too_large', `archive has ${input.length} bytes, more than ${parsed.maxArchiveBytes}`);
  }
  const format = detectArchiveFormat(input);
  const collector = new EntryCollector(parsed, input.length);
  if (format === 'zip') await readZip(input, collector);
  else await readTar(input, format === 'tar.gz', collector);
  return collector.contents();
}
