import { z } from 'zod';
import { access, errors, json, route, uuidParam } from '../http/route';

const ZUsage = z.object({
  course_id: z.string(),
  contents: z.array(
    z.object({
      course_content_id: z.string(),
      path: z.string(),
      /** Graded test runs (completed) of hand-ins, and their sandbox seconds. */
      runs: z.number().int(),
      grading_seconds: z.number(),
      /** The same for regrade runs. */
      regrade_runs: z.number().int(),
      regrade_seconds: z.number(),
    }),
  ),
  grading_seconds: z.number(),
});

/** What grading cost a course: sandbox seconds per content (each sandboxed run is bounded to one core). */
export const usageRoutes = [
  route({
    method: 'get',
    path: '/courses/:id/grading-usage',
    operationId: 'getGradingUsage',
    access: access({ student: 403, tutor: 200, lecturer: 200, otherLecturer: 404, admin: 200 }),
    authorize: { courseRole: 'tutor' },
    tag: 'grading',
    summary: 'Sandbox seconds of grading per content of the course, hand-ins and regrades apart (tutor or higher)',
    params: { id: uuidParam('Course') },
    responses: { 200: json('The usage.', ZUsage), ...errors({ 403: undefined, 404: undefined }) },
    handler: async ({ res, deps: { db }, course }) => {
      const rows = await db.$queryRaw<Array<{ id: string; path: string; runs: bigint; ms: bigint | null; regrade_runs: bigint; regrade_ms: bigint | null }>>`
        SELECT c.id::text, c.path,
               count(r.id) FILTER (WHERE r.regrade_id IS NULL) AS runs,
               sum(r.grading_ms) FILTER (WHERE r.regrade_id IS NULL) AS ms,
               count(r.id) FILTER (WHERE r.regrade_id IS NOT NULL) AS regrade_runs,
               sum(r.grading_ms) FILTER (WHERE r.regrade_id IS NOT NULL) AS regrade_ms
          FROM course_contents c
          LEFT JOIN results r ON r.course_content_id = c.id AND r.status = 'completed' AND r.grading_ms IS NOT NULL
         WHERE c.course_id = ${course.id}::uuid
         GROUP BY c.id, c.path, c.position
         ORDER BY c.position, c.path`;
      const seconds = (ms: bigint | null) => Math.round(Number(ms ?? 0)) / 1000;
      const contents = rows.map((r) => ({ course_content_id: r.id, path: r.path, runs: Number(r.runs), grading_seconds: seconds(r.ms), regrade_runs: Number(r.regrade_runs), regrade_seconds: seconds(r.regrade_ms) }));
      res.json({ course_id: course.id, contents, grading_seconds: Math.round(contents.reduce((s, c) => s + c.grading_seconds + c.regrade_seconds, 0) * 1000) / 1000 });
    },
  }),
];
