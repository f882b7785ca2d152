import { createHash } from 'node:crypto';
import { isArchiveError, readArchive } from '@computor/archive';
import { documentStorageKeys, type TSyncFamilyDocumentsResult } from '@computor/contracts';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps';
import { NON_RETRYABLE, nonRetryable, step } from '../failures';
import { contentTypeOf } from './content-type';

const MiB = 1024 * 1024;
/** The whole sync runs in one transaction holding the family's lock; this bounds it. */
const SYNC_TRANSACTION = { maxWait: 10_000, timeout: 10 * 60_000 };

/** Another sync of the family holds its lock: retried (with the activity's backoff) until it is done. */
export const DOCUMENTS_SYNC_BUSY = 'DocumentsSyncBusy';

interface TFile {
  path: string;
  data: Buffer;
  sha256: string;
}

export function documentsActivities(deps: ActivityDeps) {
  return {
    /**
     * Mirrors the family's documents project at a commit (default: the default branch's head) into
     * object storage: blobs by content hash (`documents/<family>/<sha256>`), stored only when the
     * manifest does not have that hash yet; paths gone from the repository leave the manifest, and
     * their blob is deleted once no path uses it. Holds a per-family lock throughout, so two syncs
     * of one family never interleave; a commit already synced costs no download.
     */
    async syncFamilyDocuments(input: { courseFamilyId: string; commit?: string; maxBytes: number }): Promise<TSyncFamilyDocumentsResult> {
      const family = await deps.db.courseFamily.findUnique({ where: { id: input.courseFamilyId }, include: { organization: true } });
      if (!family) throw nonRetryable(NON_RETRYABLE.notFound, `Course family ${input.courseFamilyId} not found`);
      const projectId = family.documentsProjectId;
      if (!projectId) throw nonRetryable(NON_RETRYABLE.precondition, `Course family "${family.path}" has no documents project yet: set up one of its courses in GitLab first`);
      const gitlab = deps.gitlab(family.organization);
      const where = family.documentsProjectPath ?? String(projectId);

      return step(`sync documents of ${where}`, async () => {
        const ref = input.commit ?? (await gitlab.getProject(projectId))?.defaultBranch ?? 'main';
        const commit = await gitlab.getCommit(projectId, ref);
        if (!commit) throw nonRetryable(NON_RETRYABLE.invalidInput, `commit: there is no commit or branch "${ref}" in ${where}`);
        const sha = commit.id.toLowerCase();

        const rows = await deps.db.familyDocument.findMany({ where: { courseFamilyId: family.id } });
        if (family.documentsCommitSha === sha) {
          return { courseFamilyId: family.id, commit: sha, uploaded: 0, unchanged: rows.length, removed: 0, files: rows.length };
        }

        const archive = await gitlab.repositoryArchive(projectId, { sha, maxBytes: input.maxBytes });
        let files: TFile[];
        try {
          const entries = await readArchive(archive, { maxArchiveBytes: input.maxBytes, maxFiles: 10_000, maxFileBytes: 100 * MiB, maxTotalBytes: 1024 * MiB, maxPathLength: 1024, maxDepth: 32 });
          // GitLab puts every entry under one top folder (`<project>-<sha>/`).
          files = entries.flatMap((f) => {
            const inner = f.path.slice(f.path.indexOf('/') + 1);
            return f.path.includes('/') && inner ? [{ path: inner, data: f.data, sha256: createHash('sha256').update(f.data).digest('hex') }] : [];
          });
        } catch (error) {
          if (isArchiveError(error)) throw nonRetryable(NON_RETRYABLE.invalidInput, `The documents at ${sha.slice(0, 8)} cannot be published: ${error.message}`);
          throw error;
        }

        return deps.db.$transaction(async (tx) => {
          const [lock] = await tx.$queryRaw<Array<{ locked: boolean }>>`SELECT pg_try_advisory_xact_lock(hashtext(${`documents:${family.id}`})) AS locked`;
          if (!lock?.locked) throw ApplicationFailure.create({ type: DOCUMENTS_SYNC_BUSY, message: `Another documents sync of course family ${family.id} is running` });
          // Read again under the lock: the manifest another sync just wrote.
          const current = await tx.familyDocument.findMany({ where: { courseFamilyId: family.id } });
          const byPath = new Map(current.map((r) => [r.path, r]));
          const storedHashes = new Set(current.map((r) => r.sha256));
          const wanted = new Set(files.map((f) => f.path));
          const changed = files.filter((f) => byPath.get(f.path)?.sha256 !== f.sha256);
          const removed = current.filter((r) => !wanted.has(r.path));

          const toStore = new Map(changed.filter((f) => !storedHashes.has(f.sha256)).map((f) => [f.sha256, f]));
          for (const file of toStore.values()) await deps.storage.put(documentStorageKeys.blob(family.id, file.sha256), file.data, contentTypeOf(file.path));
          for (const file of changed) {
            const data = { sha256: file.sha256, size: file.data.length, contentType: contentTypeOf(file.path), commitSha: sha };
            await tx.familyDocument.upsert({ where: { courseFamilyId_path: { courseFamilyId: family.id, path: file.path } }, create: { courseFamilyId: family.id, path: file.path, ...data }, update: data });
          }
          if (removed.length) await tx.familyDocument.deleteMany({ where: { courseFamilyId: family.id, path: { in: removed.map((r) => r.path) } } });
          await tx.courseFamily.update({ where: { id: family.id }, data: { documentsCommitSha: sha, documentsSyncedAt: new Date() } });
          // Last, still under the lock: blobs no path uses any more.
          const kept = new Set(files.map((f) => f.sha256));
          const orphaned = [...new Set(removed.map((r) => r.sha256)), ...changed.flatMap((f) => (byPath.get(f.path) ? [byPath.get(f.path)!.sha256] : []))].filter((h) => !kept.has(h));
          if (orphaned.length) await deps.storage.deleteKeys([...new Set(orphaned)].map((h) => documentStorageKeys.blob(family.id, h)));
          const result = { courseFamilyId: family.id, commit: sha, uploaded: changed.length, unchanged: files.length - changed.length, removed: removed.length, files: files.length };
          deps.logger.info('documents synced', { ...result, blobsStored: toStore.size, blobsDeleted: new Set(orphaned).size });
          return result;
        }, SYNC_TRANSACTION);
      });
    },
  };
}
