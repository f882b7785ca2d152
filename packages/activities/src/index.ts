import type { ActivityDeps } from './deps';
import { systemActivities } from './system/check-dependencies';

export type { ActivityDeps } from './deps';

/** All activities, bound to their clients. The worker registers the whole object. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...systemActivities(deps),
  };
}

/** The activity interface workflows proxy (import it with `import type`). */
export type Activities = ReturnType<typeof createActivities>;
