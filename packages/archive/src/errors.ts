import { z } from 'zod';

export const ARCHIVE_ERROR_CODES = [
  'unsupported_format',
  'corrupt',
  'encrypted',
  'path_traversal',
  'absolute_path',
  'invalid_name',
  'link',
  'special_file',
  'duplicate_entry',
  'overlapping_entries',
  'too_many_files',
  'file_too_large',
  'total_too_large',
  'compression_ratio',
  'archive_too_large',
] as const;
export const ZArchiveErrorCode = z.enum(ARCHIVE_ERROR_CODES);
export type TArchiveErrorCode = z.infer<typeof ZArchiveErrorCode>;

// Entry names come from hostile input and end up in HTTP responses and logs: keep them short.
const MAX_ENTRY_IN_ERROR = 300;

/** Why an archive was refused; `entry` is the offending entry's name as stored in the archive. */
export class ArchiveError extends Error {
  readonly entry?: string;

  constructor(
    readonly code: TArchiveErrorCode,
    message: string,
    entry?: string,
  ) {
    const shown = entry === undefined ? undefined : truncate(entry);
    super(shown === undefined ? message : `${message}: ${JSON.stringify(shown)}`);
    this.name = 'ArchiveError';
    if (shown !== undefined) this.entry = shown;
  }
}

export function isArchiveError(error: unknown): error is ArchiveError {
  return error instanceof ArchiveError;
}

const SIZE_CODES: ReadonlySet<TArchiveErrorCode> = new Set<TArchiveErrorCode>([
  'archive_too_large',
  'file_too_large',
  'total_too_large',
  'too_many_files',
  'compression_ratio',
]);

/** 413 for limits on size and count (including bombs), 400 for everything else. */
export function httpStatusFor(code: TArchiveErrorCode): 400 | 413 {
  return SIZE_CODES.has(code) ? 413 : 400;
}

function truncate(name: string): string {
  return name.length > MAX_ENTRY_IN_ERROR ? `${name.slice(0, MAX_ENTRY_IN_ERROR)}…` : name;
}
