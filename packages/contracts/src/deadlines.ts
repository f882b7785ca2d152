import { z } from 'zod';

/** ISO 8601 with an offset (`2026-12-24T23:59:00+01:00` or `...Z`); stored in UTC. */
export const ZInstant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const ZLatePolicy = z.enum(['accept', 'reject']);
export type TLatePolicy = z.infer<typeof ZLatePolicy>;

/** `PUT /courses/:id/contents/:contentId/deadline`. */
export const ZDeadlineBody = z
  .strictObject({
    releaseAt: ZInstant.nullable().default(null),
    dueAt: ZInstant,
    /** Hard cut-off for late hand-ins (late policy `accept`); null: late hand-ins accepted any time. */
    lateUntil: ZInstant.nullable().default(null),
    /** accept: accepted and flagged late (until lateUntil); reject: refused after the due time. */
    latePolicy: ZLatePolicy.default('accept'),
  })
  .superRefine((d, ctx) => {
    if (d.releaseAt && d.dueAt <= d.releaseAt) ctx.addIssue({ code: 'custom', path: ['dueAt'], message: 'must be after releaseAt' });
    if (d.lateUntil && d.lateUntil < d.dueAt) ctx.addIssue({ code: 'custom', path: ['lateUntil'], message: 'must not be before dueAt' });
    if (d.lateUntil && d.latePolicy === 'reject') ctx.addIssue({ code: 'custom', path: ['lateUntil'], message: 'has no meaning with latePolicy reject' });
  });
export type TDeadlineBody = z.output<typeof ZDeadlineBody>;

/** `PUT /courses/:id/contents/:contentId/extensions/:memberId`: the student's own due time (and cut-off). */
export const ZExtensionBody = z
  .strictObject({ dueAt: ZInstant, lateUntil: ZInstant.nullable().default(null) })
  .superRefine((d, ctx) => {
    if (d.lateUntil && d.lateUntil < d.dueAt) ctx.addIssue({ code: 'custom', path: ['lateUntil'], message: 'must not be before dueAt' });
  });
export type TExtensionBody = z.output<typeof ZExtensionBody>;

/** `PUT /courses/:id/members/:memberId/accommodation`: a time factor for every content of the course (null: none). */
export const ZAccommodationBody = z.strictObject({ timeFactor: z.number().min(1).max(10).nullable() });

export interface TContentDeadline {
  releaseAt: Date | null;
  dueAt: Date | null;
  lateUntil: Date | null;
  latePolicy: TLatePolicy;
}

export interface TEffectiveDeadline {
  dueAt: Date | null;
  lateUntil: Date | null;
  latePolicy: TLatePolicy;
  /** Where the due time comes from. */
  source: 'none' | 'content' | 'accommodation' | 'extension';
}

/**
 * A student's effective deadline: their extension if staff set one; else the content's, with the
 * accommodation factor stretching release -> due (and the cut-off moving by as much); else the
 * content's. A factor needs a release time to stretch from.
 */
export function effectiveDeadline(content: TContentDeadline, member: { timeFactor: number | null }, extension: { dueAt: Date; lateUntil: Date | null } | null): TEffectiveDeadline {
  const latePolicy = content.latePolicy;
  if (extension) return { dueAt: extension.dueAt, lateUntil: extension.lateUntil ?? shift(content.lateUntil, content.dueAt, extension.dueAt), latePolicy, source: 'extension' };
  if (!content.dueAt) return { dueAt: null, lateUntil: null, latePolicy, source: 'none' };
  const factor = member.timeFactor ?? 1;
  if (factor !== 1 && content.releaseAt) {
    const dueAt = new Date(content.releaseAt.getTime() + factor * (content.dueAt.getTime() - content.releaseAt.getTime()));
    return { dueAt, lateUntil: shift(content.lateUntil, content.dueAt, dueAt), latePolicy, source: 'accommodation' };
  }
  return { dueAt: content.dueAt, lateUntil: content.lateUntil, latePolicy, source: 'content' };
}

function shift(cutOff: Date | null, from: Date | null, to: Date): Date | null {
  if (!cutOff || !from) return null;
  return new Date(Math.max(to.getTime(), cutOff.getTime() + (to.getTime() - from.getTime())));
}

/** How a hand-in at `at` stands against a deadline: on time, late (accepted and flagged), or refused (why). */
export function handInTiming(deadline: TEffectiveDeadline, at: Date): { late: boolean; refused: string | null } {
  if (!deadline.dueAt || at <= deadline.dueAt) return { late: false, refused: null };
  if (deadline.latePolicy === 'reject') return { late: true, refused: `the due time ${deadline.dueAt.toISOString()} has passed and this assignment takes no late hand-ins` };
  if (deadline.lateUntil && at > deadline.lateUntil) return { late: true, refused: `the cut-off for late hand-ins ${deadline.lateUntil.toISOString()} has passed` };
  return { late: true, refused: null };
}
