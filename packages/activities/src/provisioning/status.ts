import type { TProvisioningStep, TProvisioningStepState } from '@computor/contracts';
import type { ActivityDeps } from '../deps';
import { plainStepError } from './plain-error';

export interface TStepUpdate {
  step: TProvisioningStep;
  state: TProvisioningStepState;
  /** The failure of a `failed` step as the workflow saw it. */
  failure?: { type: string | null; message: string };
  /** A step recorded running with the one that failed before it, so never reached: its attempt is taken back. */
  notReached?: boolean;
}

export function provisioningStatusActivities(deps: ActivityDeps) {
  return {
    /**
     * Records step states of one member (a local activity of the provisioning workflow): `running`
     * counts an attempt and starts the clock, `failed` stores the error in plain words, `done`
     * clears it. A member removed meanwhile is skipped.
     */
    async recordProvisioningSteps(input: { courseMemberId: string; workflowId: string; updates: TStepUpdate[] }): Promise<void> {
      const member = await deps.db.courseMember.findUnique({ where: { id: input.courseMemberId }, select: { id: true, user: { select: { username: true } } } });
      if (!member) return;
      const now = new Date();
      await deps.db.$transaction(
        input.updates.map((u) => {
          const error =
            u.state === 'failed' && u.failure
              ? { lastError: plainStepError({ step: u.step, type: u.failure.type, message: u.failure.message, username: member.user.username }), lastErrorDetail: `${u.failure.type ?? 'Error'}: ${u.failure.message}` }
              : u.state === 'done'
                ? { lastError: null, lastErrorDetail: null }
                : {};
          const running = u.state === 'running' ? { startedAt: now } : {};
          return deps.db.provisioningStep.upsert({
            where: { courseMemberId_step: { courseMemberId: member.id, step: u.step } },
            create: { courseMemberId: member.id, step: u.step, state: u.state, attempts: u.state === 'running' ? 1 : 0, workflowId: input.workflowId, ...running, ...error },
            update: { state: u.state, workflowId: input.workflowId, ...(u.state === 'running' ? { attempts: { increment: 1 } } : u.notReached ? { attempts: { decrement: 1 } } : {}), ...running, ...error },
          });
        }),
      );
    },
  };
}
