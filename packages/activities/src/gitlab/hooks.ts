import { createHash, randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret } from '@computor/config';
import { sqlOf } from '@computor/db';
import type { GitlabClient } from '@computor/gitlab';
import type { ActivityDeps } from '../deps';
import { NON_RETRYABLE, nonRetryable } from '../failures';

/** SHA-256 of a hook token, hex: what the database keeps and the API compares. */
export const hookTokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

interface TTokenStore {
  read(): Promise<string | null>;
  /** Stores hash and ciphertext unless a token is stored already; true when this call stored it. */
  claim(hash: string, encrypted: string): Promise<boolean>;
}

/** A push-hook token made once (32 random bytes), kept as its hash (for the API) and encrypted (for later hooks). */
async function storedHookToken(store: TTokenStore, what: string, secret: string): Promise<string> {
  for (let round = 0; round < 3; round++) {
    const encrypted = await store.read();
    if (encrypted) {
      try {
        return decryptSecret(encrypted, secret);
      } catch {
        throw nonRetryable(NON_RETRYABLE.precondition, `The push-hook token of ${what} cannot be decrypted with this worker's TOKEN_SECRET`);
      }
    }
    const token = randomBytes(32).toString('base64url');
    // Two provisionings at once: the first to store wins, the other reads it back.
    if (await store.claim(hookTokenHash(token), encryptSecret(token, secret))) return token;
  }
  throw new Error(`The push-hook token of ${what} kept changing`);
}

/** The course's push-hook token (student repositories), so that repositories provisioned later get the same one. */
export async function courseHookToken(deps: ActivityDeps, courseId: string, secret: string): Promise<string> {
  return storedHookToken(
    {
      // Read for every student repository provisioned: a plain statement (see sqlOf).
      read: async () => {
        const [course] = await sqlOf(deps.db)<{ encrypted: string | null }>`SELECT gitlab_hook_token_encrypted AS encrypted FROM courses WHERE id = ${courseId}::uuid`;
        if (!course) throw nonRetryable(NON_RETRYABLE.notFound, `Course ${courseId} not found`);
        return course.encrypted;
      },
      claim: async (hash, encrypted) =>
        (await deps.db.course.updateMany({ where: { id: courseId, gitlabHookTokenEncrypted: null }, data: { gitlabHookTokenHash: hash, gitlabHookTokenEncrypted: encrypted } })).count === 1,
    },
    `course ${courseId}`,
    secret,
  );
}

/** The course family's push-hook token (its documents project), kept like the course token. */
export async function familyHookToken(deps: ActivityDeps, courseFamilyId: string, secret: string): Promise<string> {
  return storedHookToken(
    {
      read: async () => (await deps.db.courseFamily.findUniqueOrThrow({ where: { id: courseFamilyId }, select: { gitlabHookTokenEncrypted: true } })).gitlabHookTokenEncrypted,
      claim: async (hash, encrypted) =>
        (await deps.db.courseFamily.updateMany({ where: { id: courseFamilyId, gitlabHookTokenEncrypted: null }, data: { gitlabHookTokenHash: hash, gitlabHookTokenEncrypted: encrypted } })).count === 1,
    },
    `course family ${courseFamilyId}`,
    secret,
  );
}

/**
 * Registers (or adopts and refreshes) the push hook of a student repository when this worker is
 * configured with the API's hook URL (COMPUTOR_HOOK_URL); answers the hook id, or null without one.
 */
export async function ensurePushHook(deps: ActivityDeps, gitlab: GitlabClient, input: { courseId: string; courseMemberId: string; projectId: number; newProject?: boolean }): Promise<number | null> {
  const hooks = deps.hooks;
  if (!hooks) return null;
  const token = await courseHookToken(deps, input.courseId, hooks.tokenSecret);
  const { hook } = await gitlab.ensureProjectHook(input.projectId, { url: hooks.url, token, pushEvents: true, enableSslVerification: hooks.url.startsWith('https:'), newProject: input.newProject });
  const updated = await sqlOf(deps.db)`UPDATE course_members SET gitlab_hook_id = ${hook.id}, updated_at = ${new Date()} WHERE id = ${input.courseMemberId}::uuid RETURNING id`;
  if (!updated.length) throw nonRetryable(NON_RETRYABLE.notFound, `Course member ${input.courseMemberId} disappeared before its push hook was recorded`);
  return hook.id;
}

/** Registers (or adopts and refreshes) the push hook of a family's documents project; null without COMPUTOR_HOOK_URL. */
export async function ensureDocumentsHook(deps: ActivityDeps, gitlab: GitlabClient, input: { courseFamilyId: string; projectId: number }): Promise<number | null> {
  const hooks = deps.hooks;
  if (!hooks) return null;
  const token = await familyHookToken(deps, input.courseFamilyId, hooks.tokenSecret);
  const { hook } = await gitlab.ensureProjectHook(input.projectId, { url: hooks.url, token, pushEvents: true, enableSslVerification: hooks.url.startsWith('https:') });
  await deps.db.courseFamily.update({ where: { id: input.courseFamilyId }, data: { documentsHookId: hook.id } });
  return hook.id;
}
