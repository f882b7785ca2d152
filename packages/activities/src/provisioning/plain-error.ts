import type { TProvisioningStep } from '@computor/contracts';

/** What each step does, as the sentence "could not …" finishes it. */
const DOING: Record<TProvisioningStep, string> = {
  user: 'look up the student\'s GitLab account',
  membership: 'add the student to student-template',
  repository: 'create the student\'s repository',
  access: 'give the student write access to their repository',
};

export interface TStepFailure {
  step: TProvisioningStep;
  /** The failure type (`GitlabAuthError`, `GitlabUserNotFound`, …), null when untyped. */
  type: string | null;
  message: string;
  username: string;
}

/** GitLab's own words at the end of a client message (`… 403: 403 Forbidden`), when there are any. */
function gitlabWords(message: string): string {
  const last = message.split(': ').pop()?.trim();
  return last ? ` (GitLab said: ${last})` : '';
}

/**
 * A failed step in words a lecturer can act on: what did not happen and what to do about it. The
 * workflow's own message stays available beside it (`last_error_detail`).
 */
export function plainStepError({ step, type, message, username }: TStepFailure): string {
  const could = `Could not ${DOING[step]}`;
  switch (type) {
    case 'GitlabUserNotFound':
      return `GitLab has no user '${username}' — create the account or fix the username.`;
    case 'GitlabAuthError':
      return `GitLab refused: the token lacks permission to ${DOING[step]}${gitlabWords(message)}. Give the token's user Owner (or Maintainer) on the course group, or a token with the api scope.`;
    case 'GitlabTokenMissing':
      return `${could}: no GitLab token is configured for this organization.`;
    case 'GitlabPendingDeletionError':
      return `${could}: a project at the student's path is scheduled for deletion in GitLab — restore it in GitLab or wait until it is gone.`;
    case 'GitlabArchivedError':
      return `${could}: the student's repository is archived in GitLab — unarchive it.`;
    case 'GitlabNotFoundError':
      return `${could}: GitLab could not find a project or group it needs${gitlabWords(message)} — was something deleted or renamed in GitLab?`;
    case 'GitlabConflictError':
    case 'GitlabInvalidError':
      return `${could}: GitLab rejected the request${gitlabWords(message)}.`;
    case 'GitlabRateLimitedError':
      return `${could}: GitLab kept answering "too many requests" until the retries ran out — retry later.`;
    case 'GitlabTransientError':
    case 'GitlabUnknownError':
      return `${could}: GitLab did not answer properly (errors or timeouts) until the retries ran out — check that GitLab is up, then retry.`;
    case 'ForkUnavailable': {
      const timedOut = /did not finish within (\d+) s/.exec(message);
      if (timedOut) return `The fork did not finish within ${timedOut[1]} s, and copying the template instead failed too.`;
      return `GitLab would not fork student-template (${message}).`;
    }
    case 'PreconditionFailed':
      return /not set up in GitLab/.test(message)
        ? `${could}: the course is not set up in GitLab yet — run "setup GitLab" for the course first.`
        : `${could}: ${message}.`;
    case 'NotFound':
      return `${could}: ${message} (was the member or course removed?).`;
    default:
      if (/timeout|timed out/i.test(message)) return `${could}: the step took too long and was given up — check GitLab's health, then retry.`;
      return `${could}: ${message}`;
  }
}
