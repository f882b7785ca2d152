import { ARCHIVE_ERROR_CODES, ArchiveError, httpStatusFor } from './errors';
import { DEFAULT_ARCHIVE_LIMITS, ZArchiveLimits } from './limits';

describe('httpStatusFor', () => {
  it('maps size and count limits to 413 and every other refusal to 400', () => {
    const statuses = Object.fromEntries(ARCHIVE_ERROR_CODES.map((code) => [code, httpStatusFor(code)]));
    expect(statuses).toEqual({
      unsupported_format: 400,
      corrupt: 400,
      encrypted: 400,
      path_traversal: 400,
      absolute_path: 400,
      invalid_name: 400,
      link: 400,
      special_file: 400,
      duplicate_entry: 400,
      overlapping_entries: 400,
      too_many_files: 413,
      file_too_large: 413,
      total_too_large: 413,
      compression_ratio: 413,
      archive_too_large: 413,
    });
  });
});

describe('ArchiveError', () => {
  it('carries code and entry, and shortens hostile entry names', () => {
    const error = new ArchiveError('invalid_name', 'entry name is too long', 'x'.repeat(10_000));
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid_name');
    expect(error.entry).toHaveLength(301);
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('ZArchiveLimits', () => {
  it('fills defaults and keeps overrides', () => {
    expect(DEFAULT_ARCHIVE_LIMITS).toEqual({
      maxArchiveBytes: 20 * 1024 * 1024,
      maxFiles: 500,
      maxFileBytes: 10 * 1024 * 1024,
      maxTotalBytes: 50 * 1024 * 1024,
      maxCompressionRatio: 100,
      ratioGraceBytes: 1024 * 1024,
      maxPathLength: 255,
      maxDepth: 16,
    });
    expect(ZArchiveLimits.parse({ maxFiles: 3 }).maxFiles).toBe(3);
    expect(() => ZArchiveLimits.parse({ maxFiles: -1 })).toThrow();
  });
});
