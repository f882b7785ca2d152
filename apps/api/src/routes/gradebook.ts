import type { Db } from '@computor/db';
import type { Response } from 'express';
import { z } from 'zod';
import { access, content, errors, json, route, uuidParam, type ApiRoute } from '../http/route';

/** Students rendered per database page: the document is written page by page, never held whole. */
const PAGE_SIZE = 500;

/** Tutors and above read it; students are members, so they learn the course exists (403), outsiders do not (404). */
const tutorOfCourse = (ok: number) => access({ student: 403, tutor: ok, lecturer: ok, otherLecturer: 404, admin: ok });

const ZGradebookContent = z.object({
  course_content_id: z.string(),
  path: z.string(),
  title: z.string(),
  position: z.number(),
});
const ZGradebookCell = z.object({
  /** The final hand-in: the one recorded when the deadline closed, else the latest on time, else the latest late one. */
  final_submission_id: z.string().nullable(),
  /** Score of the final hand-in's newest completed result (null: none). */
  score: z.number().nullable(),
  /** The final hand-in came after the student's due time (null: no final hand-in). */
  late: z.boolean().nullable(),
  /** Every hand-in of the student's submission group for the content. */
  hand_ins: z.number().int(),
});
const ZGradebookStudent = z.object({
  course_member_id: z.string(),
  user_id: z.string(),
  username: z.string(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  /** One per content, in the order of `contents`. */
  grades: z.array(ZGradebookCell),
});
const ZGradebook = z.object({ contents: z.array(ZGradebookContent), students: z.array(ZGradebookStudent) });

type TContent = z.infer<typeof ZGradebookContent>;
type TCell = z.infer<typeof ZGradebookCell>;
type TStudent = z.infer<typeof ZGradebookStudent>;

const EMPTY_CELL: TCell = { final_submission_id: null, score: null, late: null, hand_ins: 0 };

async function gradedContents(db: Db, courseId: string): Promise<TContent[]> {
  const rows = await db.courseContent.findMany({
    where: { courseId, archivedAt: null, exampleVersionId: { not: null } },
    orderBy: [{ position: 'asc' }, { path: 'asc' }],
    select: { id: true, path: true, title: true, position: true },
  });
  return rows.map((c) => ({ course_content_id: c.id, path: c.path, title: c.title, position: c.position }));
}

/** The next page of active students, by username (unique, so it is also the keyset). */
async function studentPage(db: Db, courseId: string, after: string | null) {
  return db.courseMember.findMany({
    where: { courseId, role: 'student', removedAt: null, ...(after === null ? {} : { user: { username: { gt: after } } }) },
    select: { id: true, userId: true, user: { select: { username: true, givenName: true, familyName: true } } },
    orderBy: { user: { username: 'asc' } },
    take: PAGE_SIZE,
  });
}

interface CellRow {
  content_id: string;
  member_id: string;
  hand_ins: number;
  final_id: string | null;
  late: boolean | null;
  score: number | null;
}

/**
 * Every (content, student) cell of a page in one query: the student's submission group per
 * content, its hand-in count and latest on-time and late hand-ins, the final one (a closed
 * deadline's recorded hand-in wins), its late flag and the score of its newest completed result.
 */
async function cellsOf(db: Db, memberIds: string[], contentIds: string[]): Promise<CellRow[]> {
  if (memberIds.length === 0 || contentIds.length === 0) return [];
  return db.$queryRaw<CellRow[]>`
    WITH g AS (
      SELECT DISTINCT ON (sg.course_content_id, sgm.course_member_id)
             sg.id AS group_id, sg.course_content_id AS content_id, sgm.course_member_id AS member_id
        FROM submission_group_members sgm
        JOIN submission_groups sg ON sg.id = sgm.submission_group_id
       WHERE sgm.course_member_id = ANY(${memberIds}::uuid[]) AND sg.course_content_id = ANY(${contentIds}::uuid[])
       ORDER BY sg.course_content_id, sgm.course_member_id, sg.created_at DESC, sg.id
    ), a AS (
      SELECT g.content_id, g.member_id,
             count(sa.id)::int AS hand_ins,
             (array_agg(sa.id ORDER BY sa.handed_in_at DESC, sa.id DESC) FILTER (WHERE NOT sa.late))[1] AS on_time_id,
             (array_agg(sa.id ORDER BY sa.handed_in_at DESC, sa.id DESC) FILTER (WHERE sa.late))[1] AS late_id
        FROM g LEFT JOIN submission_artifacts sa ON sa.submission_group_id = g.group_id
       GROUP BY g.content_id, g.member_id
    ), f AS (
      SELECT a.content_id, a.member_id, a.hand_ins,
             CASE WHEN ds.closed_at IS NOT NULL THEN ds.final_artifact_id ELSE coalesce(a.on_time_id, a.late_id) END AS final_id
        FROM a LEFT JOIN deadline_states ds ON ds.course_content_id = a.content_id AND ds.course_member_id = a.member_id
    )
    SELECT f.content_id::text, f.member_id::text, f.hand_ins, f.final_id::text, fa.late, r.score
      FROM f
      LEFT JOIN submission_artifacts fa ON fa.id = f.final_id
      LEFT JOIN LATERAL (
        SELECT res.score FROM results res
         WHERE res.artifact_id = f.final_id AND res.status = 'completed'
           -- A regrade counts once it is published; a preview is not a grade.
           AND (res.regrade_id IS NULL OR EXISTS (SELECT 1 FROM regrades g WHERE g.id = res.regrade_id AND g.status = 'published'))
         ORDER BY res.finished_at DESC NULLS LAST, res.created_at DESC, res.id DESC LIMIT 1
      ) r ON true`;
}

/** The rows of one page, each with a cell per content (empty where the student has no group). */
async function renderPage(db: Db, contents: TContent[], members: Awaited<ReturnType<typeof studentPage>>): Promise<TStudent[]> {
  const column = new Map(contents.map((c, i) => [c.course_content_id, i]));
  const rows = new Map<string, TCell[]>(members.map((m) => [m.id, contents.map(() => EMPTY_CELL)]));
  for (const cell of await cellsOf(db, [...rows.keys()], [...column.keys()])) {
    rows.get(cell.member_id)![column.get(cell.content_id)!] = { final_submission_id: cell.final_id, score: cell.score, late: cell.final_id === null ? null : cell.late, hand_ins: cell.hand_ins };
  }
  return members.map((m) => ({
    course_member_id: m.id,
    user_id: m.userId,
    username: m.user.username,
    given_name: m.user.givenName,
    family_name: m.user.familyName,
    grades: rows.get(m.id)!,
  }));
}

// ---------- CSV (RFC 4180) ----------

/** A text cell: a leading formula character is neutralised (CSV injection), then quoted when it must be. */
export function csvText(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
const csvValue = (value: number | boolean | null) => (value === null ? '' : String(value));
const csvLine = (cells: string[]) => `${cells.join(',')}\r\n`;

function csvHeader(contents: TContent[]): string {
  const columns = ['username', 'given_name', 'family_name', 'course_member_id'];
  for (const c of contents) columns.push(`${c.path} score`, `${c.path} late`, `${c.path} hand_ins`);
  return csvLine(columns.map(csvText));
}

const csvRow = (s: TStudent) =>
  csvLine([csvText(s.username), csvText(s.given_name), csvText(s.family_name), s.course_member_id, ...s.grades.flatMap((g) => [csvValue(g.score), csvValue(g.late), String(g.hand_ins)])]);

// ---------- streaming ----------

/** Writes a chunk, waiting for the socket to drain when its buffer is full; false once the client left. */
async function write(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !res.destroyed;
}

async function streamGradebook(db: Db, res: Response, courseId: string, format: 'csv' | 'json', filename: string) {
  const contents = await gradedContents(db, courseId);
  let page = await studentPage(db, courseId, null);
  if (format === 'csv') res.status(200).set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${filename}.csv"` });
  else res.status(200).set({ 'Content-Type': 'application/json; charset=utf-8' });
  let open = await write(res, format === 'csv' ? csvHeader(contents) : `{"contents":${JSON.stringify(contents)},"students":[`);
  let first = true;
  while (open && page.length > 0) {
    const rows = await renderPage(db, contents, page);
    const chunk = format === 'csv' ? rows.map(csvRow).join('') : (first ? '' : ',') + rows.map((r) => JSON.stringify(r)).join(',');
    first = false;
    const next = page.length === PAGE_SIZE ? studentPage(db, courseId, page[page.length - 1]!.user.username) : Promise.resolve([]);
    // The next page is read while this one goes out.
    next.catch(() => undefined);
    open = await write(res, chunk);
    page = await next;
  }
  if (open) res.end(format === 'csv' ? '' : ']}');
}

/** The course gradebook (issue 14.6): the final hand-in of every active student per graded content. */
export const gradebookRoutes: ApiRoute[] = [
  route({
    method: 'get',
    path: '/courses/:id/gradebook',
    operationId: 'getGradebook',
    access: tutorOfCourse(200),
    authorize: { courseRole: 'tutor' },
    tag: 'gradebook',
    summary: 'The gradebook: per active student and graded content the final hand-in\'s score, its late flag and the number of hand-ins, as JSON or CSV (tutor or higher)',
    description:
      'Contents: the course\'s non-archived contents with an example assigned, by position then path. Students: active students by username. ' +
      'The final hand-in is the one recorded when the student\'s deadline closed (none when none was on time), otherwise the latest on-time hand-in, otherwise the latest late one. ' +
      'CSV with `?format=csv` or `Accept: text/csv`: a header row, then one row per student with three columns per content (`<path> score`, `<path> late`, `<path> hand_ins`); ' +
      'text cells starting with `=`, `+`, `-`, `@`, tab or CR are prefixed with `\'`. Streamed page by page: a failure midway ends the connection without a complete document.',
    params: { id: uuidParam('Course') },
    query: z.strictObject({ format: z.enum(['json', 'csv']).optional().meta({ description: 'Overrides the Accept header; JSON by default.' }) }),
    responses: {
      200: {
        description: 'The gradebook. JSON: `students[i].grades[j]` is the cell of `contents[j]`.',
        content: { ...json('', ZGradebook).content, ...content('', 'text/csv', { type: 'string', description: 'RFC 4180 CSV with a header row (CRLF line ends).' }).content },
      },
      ...errors({ 403: undefined, 404: undefined }),
    },
    handler: async ({ req, res, deps: { db }, course, query }) => {
      const format = query.format ?? (req.accepts(['application/json', 'text/csv']) === 'text/csv' ? 'csv' : 'json');
      await streamGradebook(db, res, course.id, format, `gradebook-${course.path}`.replace(/[^A-Za-z0-9._-]/g, '_'));
    },
  }),
];
