import { toTestSummary, ZResultQuery, type TGradingReport } from '@computor/contracts';
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { notFound } from '../http/errors';
import { parse } from '../http/validate';
import { idParam } from './resources';
import { visibleArtifact } from './submissions';

/** Test results: a student sees their own group's, tutors and above their course's (anyone else: 404). */
export function resultRoutes(deps: ApiDeps): Router {
  const { db, storage } = deps;
  const router = Router();

  router.get('/results/:id', async (req, res) => {
    const id = idParam(req.params.id, 'Result');
    const { view } = parse(ZResultQuery, req.query, 'query');
    const result = await db.result.findUnique({ where: { id } });
    if (!result) throw notFound('Result');
    // Visibility follows the artifact's (same group, same course); a 404 never reveals existence.
    await visibleArtifact(db, req.user!, result.artifactId).catch(() => {
      throw notFound('Result');
    });
    const report = result.status === 'completed' && result.reportKey && !result.purgedAt ? await storage.getJson<TGradingReport>(result.reportKey) : null;
    const base = {
      id: result.id,
      submission_id: result.artifactId,
      submission_group_id: result.submissionGroupId,
      course_content_id: result.courseContentId,
      workflow_id: result.workflowId,
      status: result.status,
      score: result.score,
      passed: result.passed,
      summary:
        result.checksTotal === null
          ? null
          : { total: result.checksTotal, passed: result.checksPassed, failed: result.checksFailed, skipped: result.checksSkipped },
      message: result.message,
      report_key: result.reportKey,
      created_at: result.createdAt,
      started_at: result.startedAt,
      finished_at: result.finishedAt,
    };
    if (view === 'testSummary') {
      res.json({ ...base, testSummary: report ? toTestSummary(report) : null });
      return;
    }
    res.json({ ...base, collectionSummary: report?.collectionSummary ?? null, report });
  });

  return router;
}
