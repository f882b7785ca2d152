import { z } from 'zod';

const MiB = 1024 * 1024;

export const ZArchiveLimits = z.object({
  /** Size of the archive itself (the upload). */
  maxArchiveBytes: z.number().int().positive().default(20 * MiB),
  /** Entries of any kind: regular files and explicit directory entries. */
  maxFiles: z.number().int().positive().default(500),
  /** Inflated size of one file. */
  maxFileBytes: z.number().int().nonnegative().default(10 * MiB),
  /** Inflated size of all files together. */
  maxTotalBytes: z.number().int().nonnegative().default(50 * MiB),
  /** Inflated bytes divided by archive bytes. */
  maxCompressionRatio: z.number().positive().default(100),
  /**
   * Inflated bytes below which the ratio is not enforced: a tiny archive of a repetitive text file
   * legitimately compresses better than 100:1 and is harmless at that size.
   */
  ratioGraceBytes: z.number().int().nonnegative().default(1 * MiB),
  /** UTF-8 bytes of a normalised entry path. */
  maxPathLength: z.number().int().positive().default(255),
  /** Segments of a normalised entry path (`a/b/c.txt` has 3). */
  maxDepth: z.number().int().positive().default(16),
});
export type TArchiveLimits = z.infer<typeof ZArchiveLimits>;
/** Limits as callers may pass them: every field optional, defaults fill the rest. */
export type TArchiveLimitsInput = z.input<typeof ZArchiveLimits>;

export const DEFAULT_ARCHIVE_LIMITS: TArchiveLimits = ZArchiveLimits.parse({});
