import type { Activities } from '@computor/activities';
import type { TBatchProgress, TReleaseAssignmentsParams, TReleaseResult, TReleaseStudentTemplateParams, TStudentUpdateOutcome, TUpdateStudentRepositoryParams, TUpdateStudentRepositoryResult } from '@computor/contracts';
import { PROGRESS_QUERY, RELEASE_FAILURE, releaseWorkflowIds } from '@computor/contracts/workflow-keys';
import { ApplicationFailure, defineQuery, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { forEachBounded, GITLAB_RETRY, rootCause, runStep, validParams } from './steps';

const gitlabActivities = (maximumAttempts = GITLAB_RETRY.maximumAttempts) =>
  proxyActivities<Activities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '10 seconds',
    retry: { ...GITLAB_RETRY, maximumAttempts },
  });
const gitlab = gitlabActivities();

const local = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 5 } });

const releaseProgressQuery = defineQuery<TBatchProgress>(PROGRESS_QUERY);

/**
 * Releases course contents into student-template: plan (refusing unverified examples unless
 * forced) -> ensure the repository -> one commit of the allowlisted student view and the root
 * README -> protect main -> deployments `deployed` with the commit. Deployments are `deploying`
 * meanwhile and `failed` with the reason when it fails; the workflow then fails too. Optionally
 * carries the release into existing student repositories, one child workflow per student.
 */
export async function releaseStudentTemplateWorkflow(params: TReleaseStudentTemplateParams): Promise<TReleaseResult> {
  const { courseId, courseContentIds, force, updateStudentRepositories, maxConcurrent, gitlabMaxAttempts } = await validParams('releaseStudentTemplateWorkflow', params);
  const steps = gitlabActivities(gitlabMaxAttempts);
  const { workflowId } = workflowInfo();
  const progress: TBatchProgress = { total: 0, done: 0, succeeded: 0, failed: [], running: 0 };
  setHandler(releaseProgressQuery, () => progress);
  const plan = await runStep('plan release', () => local.planRelease({ courseId, courseContentIds, target: 'student-template', force }));
  await runStep('mark deploying', () => local.markDeployments({ courseContentIds, status: 'deploying', workflowId }));
  let synced: Awaited<ReturnType<Activities['syncReleaseRepository']>>;
  try {
    await runStep('ensure student-template', () => steps.ensureHierarchyNode({ courseId, node: 'student-template' }));
    synced = await runStep('commit student-template', () => steps.syncReleaseRepository({ courseId, courseContentIds, target: 'student-template' }));
    await runStep('set permissions', () => steps.protectTemplateBranch({ courseId }));
  } catch (error) {
    const cause = rootCause(error);
    await local.markDeployments({ courseContentIds, status: 'failed', workflowId, message: cause.message });
    throw ApplicationFailure.create({ type: cause.type ?? 'ReleaseFailed', message: cause.message, nonRetryable: true, cause: error as Error });
  }
  await runStep('mark deployed', () => local.markDeployments({ courseContentIds, status: 'deployed', workflowId, commitSha: synced.headSha }));
  const result: TReleaseResult = {
    courseId,
    projectId: synced.projectId,
    commitSha: synced.commitSha,
    headSha: synced.headSha,
    actions: synced.actions,
    contents: plan.contents.map((c) => ({ courseContentId: c.courseContentId, directory: c.directory, exampleVersionId: c.exampleVersionId })),
  };
  if (!updateStudentRepositories) return result;

  const students = await local.listStudentRepositories({ courseId });
  progress.total = students.length;
  const outcomes: TStudentUpdateOutcome[] = [];
  await forEachBounded(students, maxConcurrent, async ({ courseMemberId }) => {
    const childId = releaseWorkflowIds.studentRepository(courseId, courseMemberId);
    progress.running++;
    try {
      const updated = await executeChild(updateStudentRepositoryWorkflow, { workflowId: childId, args: [{ courseId, courseMemberId, courseContentIds }] });
      outcomes.push({ courseMemberId, status: updated.commitSha ? 'updated' : 'unchanged', created: updated.created, workflowId: childId });
      progress.succeeded++;
    } catch (error) {
      const message = rootCause(error).message;
      outcomes.push({ courseMemberId, status: 'failed', created: [], workflowId: childId, error: message });
      progress.failed.push({ id: courseMemberId, error: message });
    } finally {
      progress.running--;
      progress.done++;
    }
  });
  result.studentRepositories = outcomes;
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length) {
    // The template release itself succeeded (deployments say so); the failure is about the students.
    throw ApplicationFailure.create({
      type: RELEASE_FAILURE.studentUpdatesFailed,
      message: `${failed.length} of ${outcomes.length} student repositories were not updated: ${failed.map((f) => `${f.courseMemberId} (${f.error})`).join('; ')}`,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

/** The full example content of the selected contents into the course's `assignments` repository. */
export async function releaseAssignmentsWorkflow(params: TReleaseAssignmentsParams): Promise<TReleaseResult> {
  const { courseId, courseContentIds } = await validParams('releaseAssignmentsWorkflow', params);
  const plan = await runStep('plan release', () => local.planRelease({ courseId, courseContentIds, target: 'assignments', force: true }));
  await runStep('ensure assignments', () => gitlab.ensureHierarchyNode({ courseId, node: 'assignments' }));
  const synced = await runStep('commit assignments', () => gitlab.syncReleaseRepository({ courseId, courseContentIds, target: 'assignments' }));
  await runStep('record commit', () => local.recordAssignmentsCommit({ courseContentIds, commitSha: synced.headSha }));
  return {
    courseId,
    projectId: synced.projectId,
    commitSha: synced.commitSha,
    headSha: synced.headSha,
    actions: synced.actions,
    contents: plan.contents.map((c) => ({ courseContentId: c.courseContentId, directory: c.directory, exampleVersionId: c.exampleVersionId })),
  };
}

/** Adds released assignments to one student's repository without overwriting anything they have. */
export async function updateStudentRepositoryWorkflow(params: TUpdateStudentRepositoryParams): Promise<TUpdateStudentRepositoryResult> {
  const input = await validParams('updateStudentRepositoryWorkflow', params);
  const updated = await runStep('update student repository', () => gitlab.updateStudentRepository(input));
  return { courseMemberId: input.courseMemberId, ...updated };
}
