import { createHash, randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret } from '@computor/config';
import type { GitlabClient } from '@computor/gitlab';
import type { ActivityDeps } from '../deps';
import { NON_RETRYABLE, nonRetryable } from '../failures';

/** SHA-256 of a hook token, hex: what the database keeps and the API compares. */
export const hookTokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * The course's push-hook token: made once (32 random bytes), kept as its hash (for the API) and
 * encrypted with TOKEN_SECRET (so that repositories provisioned later get the same token).
 */
export async function courseHookToken(deps: ActivityDeps, courseId: string, secret: string): Promise<string> {
  for (let round = 0; round < 3; round++) {
    const course = await deps.db.course.findUniqueOrThrow({ where: { id: courseId }, select: { gitlabHookTokenEncrypted: true } });
    if (course.gitlabHookTokenEncrypted) {
      try {
        return decryptSecret(course.gitlabHookTokenEncrypted, secret);
      } catch {
        throw nonRetryable(NON_RETRYABLE.precondition, `The push-hook token of course ${courseId} cannot be decrypted with this worker's TOKEN_SECRET`);
      }
    }
    const token = randomBytes(32).toString('base64url');
    // Two provisionings at once: the first to store wins, the other reads it back.
    const stored = await deps.db.course.updateMany({
      where: { id: courseId, gitlabHookTokenEncrypted: null },
      data: { gitlabHookTokenHash: hookTokenHash(token), gitlabHookTokenEncrypted: encryptSecret(token, secret) },
    });
    if (stored.count === 1) return token;
  }
  throw new Error(`The push-hook token of course ${courseId} kept changing`);
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
  await deps.db.courseMember.update({ where: { id: input.courseMemberId }, data: { gitlabHookId: hook.id } });
  return hook.id;
}
