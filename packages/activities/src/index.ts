import type { ActivityDeps } from './deps';
import { hierarchyActivities } from './gitlab/hierarchy';
import { memberActivities } from './gitlab/members';
import { systemActivities } from './system/check-dependencies';

export type { ActivityDeps, GitlabResolver } from './deps';
export { NON_RETRYABLE } from './failures';

/** All activities, bound to their clients. The worker registers the whole object. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...systemActivities(deps),
    ...hierarchyActivities(deps),
    ...memberActivities(deps),
  };
}

/** The activity interface workflows proxy (import it with `import type`). */
export type Activities = ReturnType<typeof createActivities>;
