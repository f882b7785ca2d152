import type { Activities } from '@computor/activities';
import type { TArchiveCourseParams, TArchiveCourseResult, TRetentionParams, TRetentionResult } from '@computor/contracts';
import { proxyActivities } from '@temporalio/workflow';
import { forEachBounded, GITLAB_RETRY, runStep, validParams } from './steps';

const gitlab = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '10 seconds', retry: GITLAB_RETRY });
const local = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '1 minute', retry: { maximumAttempts: 5 } });

/**
 * Archives a course: revokes every student's access, optionally deletes their repositories and the
 * course group in GitLab, and marks the course archived. Each step is idempotent, so a re-run
 * after a failure finishes the job.
 */
export async function archiveCourseWorkflow(params: TArchiveCourseParams): Promise<TArchiveCourseResult> {
  const { courseId, removeStudentRepositories, removeGroups } = await validParams('archiveCourseWorkflow', params);
  const students = await local.listCourseMemberIds({ courseId, role: 'student' });
  let revoked = 0;
  let repositoriesRemoved = 0;
  await forEachBounded(students, 10, async (courseMemberId) => {
    await runStep('revoke student access', () => gitlab.revokeMemberAccess({ courseId, courseMemberId }));
    revoked++;
    if (removeStudentRepositories && (await runStep('delete student repository', () => gitlab.deleteStudentRepository({ courseId, courseMemberId })))) {
      repositoriesRemoved++;
    }
  });
  const groupRemoved = removeGroups ? await runStep('delete course group', () => gitlab.deleteCourseGroup({ courseId })) : false;
  await local.markCourseArchived({ courseId });
  return { courseId, revoked, repositoriesRemoved, groupRemoved };
}

/**
 * Deletes submission artifacts and reports older than the retention, in batches, and tutor test
 * runs older than a day (their storage expiry where the S3 server has no lifecycle rules). Run by a Schedule.
 */
export async function retentionCleanupWorkflow(params: TRetentionParams): Promise<TRetentionResult> {
  const { retentionDays, batchSize, tutorTestMaxAgeSeconds } = await validParams('retentionCleanupWorkflow', params);
  const total: TRetentionResult = { artifactsPurged: 0, reportsPurged: 0, objectsDeleted: 0 };
  for (let round = 0; round < 1000; round++) {
    const r = await local.purgeExpired({ retentionDays, batchSize, tutorTestMaxAgeSeconds });
    total.artifactsPurged += r.artifactsPurged;
    total.reportsPurged += r.reportsPurged;
    total.objectsDeleted += r.objectsDeleted;
    if (!r.more) break;
  }
  return total;
}
