import { resultMessage, roleSatisfies, storedTallies, studentTotals, tallyByVisibility, toStudentReport, toTestSummary, ZResultQuery, type TGradingReport, type TResultProvenance } from '@computor/contracts';
import { notFound } from '../http/errors';
import { errors, json, membersOfCourse, route, uuidParam } from '../http/route';
import { ZResultBody } from '../openapi/responses';
import { queueViews } from '../services/queue';
import { callerMemberOf, studentAfterDue, visibleArtifact } from './submissions';

/** What a student reads of a result that could not be graded; the cause is for staff (workflow, logs). */
export const STUDENT_FAILED_MESSAGE = 'The grader could not grade this hand-in. This is not caused by your code; the course staff can see why.';

/**
 * Test results: a student sees their own group's, tutors and above their course's (anyone else:
 * 404). Staff read the stored report; students its student view (expected values only where the
 * example shows them, no internal detail; collections by their `visibility` and the student's
 * effective due time, with score, passed, summary and message over those and `hidden` counting
 * the rest).
 */
export const resultRoutes = [
  route({
    method: 'get',
    path: '/results/:id',
    operationId: 'getResult',
    access: membersOfCourse(200),
    tag: 'submissions',
    summary:
      'A test result with its report (`view=report`) or the Computor testSummary view (`view=testSummary`); staff of the course read the stored report, students a view without expected values (unless the example shows them) and without internal detail, with only the collections their visibility shows before (`always`) or after (`afterDue`) the student\'s effective due time, score/passed/summary over those, and `hidden` counting the checks left out (`never` ones are never shown nor scored)',
    params: { id: uuidParam('Result') },
    query: ZResultQuery,
    responses: { 200: json('The result.', ZResultBody), ...errors({ 400: 'Invalid query.', 404: undefined }) },
    handler: async ({ res, deps: { db, storage }, user, params: { id }, query: { view } }) => {
      const result = await db.result.findUnique({ where: { id }, include: { regrade: true } });
      if (!result) throw notFound('Result');
      // Visibility follows the artifact's (same group, same course); a 404 never reveals existence.
      const { role, artifact } = await visibleArtifact(db, user, result.artifactId).catch(() => {
        throw notFound('Result');
      });
      const staff = role !== null && roleSatisfies(role, 'tutor');
      // A regrade's results stay staff-only until it is published.
      if (!staff && result.regrade && result.regrade.status !== 'published') throw notFound('Result');
      const stored = result.status === 'completed' && result.reportKey && !result.purgedAt ? await storage.getJson<TGradingReport>(result.reportKey) : null;
      // Students: collections by their visibility and the student's own effective due time.
      const afterDue = staff || (await studentAfterDue(db, result.courseContentId, callerMemberOf(artifact.submissionGroup.members, user)));
      const report = stored && !staff ? toStudentReport(stored, { afterDue }) : stored;
      // Results stored before the tallies existed: from the report, else (report gone) all `always`.
      const tallies = staff || result.status !== 'completed' ? undefined : (storedTallies(result.summary) ?? (stored ? tallyByVisibility(stored.collections) : undefined));
      const totals = tallies ? studentTotals(tallies, afterDue) : undefined;
      const base = {
        id: result.id,
        submission_id: result.artifactId,
        submission_group_id: result.submissionGroupId,
        course_content_id: result.courseContentId,
        workflow_id: result.workflowId,
        status: result.status,
        queue: (await queueViews(db, [result])).get(result.id),
        score: totals ? totals.score : result.score,
        passed: totals ? totals.passed : result.passed,
        summary: totals
          ? totals.summary
          : result.checksTotal === null
            ? null
            : { total: result.checksTotal, passed: result.checksPassed, failed: result.checksFailed, skipped: result.checksSkipped },
        message: !staff && result.status === 'failed' ? STUDENT_FAILED_MESSAGE : totals ? resultMessage(totals.summary) : result.message,
        // Students: the checks their view leaves out (graded after their due time, or staff only); staff: absent.
        ...(staff ? {} : { hidden: totals?.hidden ?? (result.status === 'completed' ? { afterDue: 0, never: 0 } : null) }),
        report_key: result.reportKey,
        provenance: staff ? ((result.provenance as TResultProvenance | null) ?? null) : null,
        created_at: result.createdAt,
        started_at: result.startedAt,
        finished_at: result.finishedAt,
      };
      if (view === 'testSummary') {
        res.json({ ...base, testSummary: report ? toTestSummary(report) : null });
        return;
      }
      res.json({ ...base, collectionSummary: report?.collectionSummary ?? null, report });
    },
  }),
];
