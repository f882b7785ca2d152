import type { Activities } from '@computor/activities';
import type { TSyncFamilyDocumentsParams, TSyncFamilyDocumentsResult } from '@computor/contracts';
import { proxyActivities } from '@temporalio/workflow';
import { GITLAB_RETRY, runStep, validParams } from './steps';

// One activity: download, diff and store under the family's lock. It heartbeats while it works;
// a busy lock (another sync of the family) is retried with the backoff.
const documents = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: GITLAB_RETRY,
});

/**
 * Publishes a course family's documents project at a commit (default: the default branch's head)
 * to the members of its courses: only files whose content hash changed are stored, removed ones
 * disappear. Fails when the family, its project or the commit does not exist.
 */
export async function syncFamilyDocumentsWorkflow(params: TSyncFamilyDocumentsParams): Promise<TSyncFamilyDocumentsResult> {
  const input = await validParams('syncFamilyDocumentsWorkflow', params);
  return runStep('sync documents', () => documents.syncFamilyDocuments(input));
}
