import { z } from 'zod';

export const ZUuid = z.uuid();

const PATH_CHARS = /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/;

/**
 * A GitLab path segment: what GitLab accepts for new group and project paths (conservatively:
 * lowercase). GitLab's slug rule: start and end with a letter or digit, no two special characters
 * in a row (`_lead`, `trail-`, `a--b`, `a._b` are refused with 400).
 */
export const ZPathSegment = z
  .string()
  .min(2)
  .max(63)
  .regex(PATH_CHARS, 'must be lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit')
  .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'must not contain consecutive special characters')
  .refine((s) => !/\.(git|atom)$/.test(s), 'must not end in .git or .atom');

/**
 * Usernames as our users have them (GitLab's own usernames may hold `a--b`); a student's repository
 * path is derived from one by studentRepositoryPath, which always yields a valid ZPathSegment.
 */
export const ZUsername = z
  .string()
  .min(2)
  .max(63)
  .regex(PATH_CHARS, 'must be lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit')
  .refine((s) => !/\.(git|atom)$/.test(s) && !s.includes('..'), 'must not end in .git or .atom or contain ".."');

// FNV-1a, 32 bit: a short, stable, dependency-free digest (also usable inside workflow code).
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The path of a student's repository in the course's `students` group: the username when it is a
 * valid GitLab path (usernames are unique), otherwise a slug plus a digest of the user id. Never
 * derived from the e-mail address, so max@a.org and max@b.org never share a repository.
 */
export function studentRepositoryPath(user: { id: string; username: string }): string {
  if (ZPathSegment.safeParse(user.username).success) return user.username;
  // Each run of other characters becomes one '-' (max--power -> max-power), trimmed after the cut
  // too; the digest keeps it apart from a user whose username is that slug.
  const trim = (s: string) => s.replace(/^-+|-+$/g, '');
  const slug = trim(trim(user.username.toLowerCase().replace(/[^a-z0-9]+/g, '-')).slice(0, 40)) || 'student';
  return `${slug}-${fnv1a(user.id)}`;
}
