import { z } from 'zod';
import { ZUuid } from '../ids';
import { ZGitRef } from './grading';

export const WF_SYNC_FAMILY_DOCUMENTS = 'syncFamilyDocumentsWorkflow';

const MiB = 1024 * 1024;

export const ZSyncFamilyDocumentsParams = z.object({
  courseFamilyId: ZUuid,
  /** A commit, branch or tag of the documents project; default: its default branch's head. */
  commit: ZGitRef.optional(),
  /** Largest repository archive fetched from GitLab. */
  maxBytes: z.number().int().positive().max(1024 * MiB).default(200 * MiB),
});
export type TSyncFamilyDocumentsParams = z.input<typeof ZSyncFamilyDocumentsParams>;

export const ZSyncFamilyDocumentsResult = z.object({
  courseFamilyId: ZUuid,
  commit: z.string(),
  /** Paths new or changed at the commit (their blob stored unless another path already had it). */
  uploaded: z.number().int(),
  unchanged: z.number().int(),
  /** Paths no longer in the repository (their blob deleted when no other path uses it). */
  removed: z.number().int(),
  files: z.number().int(),
});
export type TSyncFamilyDocumentsResult = z.infer<typeof ZSyncFamilyDocumentsResult>;

/** Object keys of published documents: content-addressed per family. */
export const documentStorageKeys = {
  blob: (courseFamilyId: string, sha256: string) => `documents/${courseFamilyId}/${sha256}`,
};
