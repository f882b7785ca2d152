import { z } from 'zod';
import { ZGitRef } from '../workflows/grading';

/** `POST /course-families/:id/documents/sync`: optional; without a commit the default branch's head is synced. */
export const ZSyncDocumentsBody = z.strictObject({ commit: ZGitRef.optional() });
export type TSyncDocumentsBody = z.infer<typeof ZSyncDocumentsBody>;

export const ZDocumentEntry = z.object({
  path: z.string(),
  size: z.number().int(),
  content_type: z.string(),
  /** The quoted SHA-256 of the content, as the file's ETag header. */
  etag: z.string(),
});

export const ZDocumentList = z.object({
  course_family_id: z.string(),
  /** The commit of the documents project the files were synced from; null before the first sync. */
  commit: z.string().nullable(),
  synced_at: z.string().nullable(),
  items: z.array(ZDocumentEntry),
});

/**
 * A published document's path as requested: relative, `/`-separated, no empty, `.` or `..`
 * segments, no backslashes or control characters.
 */
export const ZDocumentPath = z
  .string()
  .min(1)
  .max(1024)
  // eslint-disable-next-line no-control-regex -- control characters are what the rule refuses
  .refine((p) => !/[\u0000-\u001f\\]/.test(p) && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), 'a relative path without empty, "." or ".." segments');
