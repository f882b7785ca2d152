import type { GitlabResolver } from '@computor/activities';
import { NON_RETRYABLE } from '@computor/activities';
import { decryptSecret } from '@computor/config';
import { createGitlabClient, createRateLimiter, type GitlabClient, type TRateLimiter, type TRequestObservation } from '@computor/gitlab';
import type { Logger } from '@computor/logger';
import { ApplicationFailure } from '@temporalio/common';
import type { TWorkerEnv } from './env';

/**
 * GitLab clients per organization, all sharing one rate limiter per worker process. Tokens come
 * from worker configuration (GITLAB_TOKEN, GITLAB_TOKENS by tokenRef) or from the organization's
 * encrypted token (TOKEN_SECRET); they never travel through workflow inputs or history.
 */
export function createGitlabResolver(
  env: TWorkerEnv,
  logger: Logger,
  onRequest?: (observation: TRequestObservation) => void,
): { resolve: GitlabResolver; limiter: TRateLimiter } {
  const reads = env.GITLAB_PROJECT_READS_PER_MINUTE;
  const limiter = createRateLimiter({
    requestsPerSecond: env.GITLAB_REQUESTS_PER_SECOND,
    maxConcurrent: env.GITLAB_MAX_CONCURRENT,
    requestsPerMinute: env.GITLAB_RATE_LIMIT_PER_MINUTE || undefined,
    routeLimitsPerMinute: reads ? { 'GET projects/:id': reads, 'GET groups/:id': reads } : undefined,
    onRequest,
  });
  const clients = new Map<string, GitlabClient>();
  const resolve: GitlabResolver = (org) => {
    let token: string | undefined;
    if (org.gitlabTokenEncrypted) {
      if (!env.TOKEN_SECRET) throw ApplicationFailure.nonRetryable(`Organization ${org.id} has an encrypted GitLab token but TOKEN_SECRET is not configured`, NON_RETRYABLE.gitlabTokenMissing);
      token = decryptSecret(org.gitlabTokenEncrypted, env.TOKEN_SECRET);
    } else if (org.gitlabTokenRef) {
      token = env.GITLAB_TOKENS[org.gitlabTokenRef];
      if (!token) throw ApplicationFailure.nonRetryable(`No GitLab token configured for tokenRef "${org.gitlabTokenRef}" (GITLAB_TOKENS)`, NON_RETRYABLE.gitlabTokenMissing);
    } else {
      token = env.GITLAB_TOKEN;
      if (!token) throw ApplicationFailure.nonRetryable(`No GitLab token for organization ${org.id}: set GITLAB_TOKEN or the organization's tokenRef`, NON_RETRYABLE.gitlabTokenMissing);
    }
    const key = `${org.gitlabUrl}\n${token}`;
    let client = clients.get(key);
    if (!client) {
      client = createGitlabClient({ url: org.gitlabUrl, token, limiter, timeoutMs: env.GITLAB_TIMEOUT_MS, logger: logger.child({ component: 'gitlab' }) });
      clients.set(key, client);
    }
    return client;
  };
  return { resolve, limiter };
}
