import { z } from 'zod';

export const ZUuid = z.uuid();

/** A GitLab path segment: what GitLab accepts for group and project paths (conservatively). */
export const ZPathSegment = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/, 'must be lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit')
  .refine((s) => !/\.(git|atom)$/.test(s) && !s.includes('..'), 'must not end in .git or .atom or contain ".."');

/** Usernames double as student repository paths, so they follow the same rules. */
export const ZUsername = ZPathSegment;


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
  const slug = user.username.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'student';
  return `${slug}-${fnv1a(user.id)}`;
}
