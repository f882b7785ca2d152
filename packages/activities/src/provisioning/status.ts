import type { TProvisioningStep, TProvisioningStepState } from '@computor/contracts';
import { sqlOf } from '@computor/db';
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

/**
 * Records step states of one member: `running` counts an attempt and starts the clock, `failed`
 * stores the error in plain words, `done` clears it. A member removed meanwhile is skipped. One
 * statement, plain SQL (update what is there, insert the rest): it runs two or three times per
 * student, so it is written for the hot path (the username is read only to word a failure).
 */
export async function recordSteps(deps: ActivityDeps, courseMemberId: string, workflowId: string, updates: readonly TStepUpdate[]): Promise<void> {
  if (!updates.length) return;
  let username: string | undefined;
  if (updates.some((u) => u.state === 'failed' && u.failure)) {
    const member = await deps.db.courseMember.findUnique({ where: { id: courseMemberId }, select: { user: { select: { username: true } } } });
    if (!member) return;
    username = member.user.username;
  }
  const errors = updates.map((u) =>
    u.state === 'failed' && u.failure && username !== undefined
      ? { lastError: plainStepError({ step: u.step, type: u.failure.type, message: u.failure.message, username }), detail: `${u.failure.type ?? 'Error'}: ${u.failure.message}` }
      : null,
  );
  const steps = updates.map((u) => u.step);
  const states = updates.map((u) => u.state);
  const delta = updates.map((u) => (u.state === 'running' ? 1 : u.notReached ? -1 : 0));
  // done clears the error, failed sets it, the others keep it.
  const clear = updates.map((u) => u.state === 'done');
  const lastErrors = errors.map((e) => e?.lastError ?? null);
  const details = errors.map((e) => e?.detail ?? null);
  await sqlOf(deps.db)`
    WITH u AS (
      SELECT * FROM unnest(${steps}::text[], ${states}::text[], ${delta}::int[], ${clear}::boolean[], ${lastErrors}::text[], ${details}::text[])
        AS u(step, state, delta, clear, last_error, detail)
    ), updated AS (
      UPDATE provisioning_steps p SET
        state = u.state::provisioning_step_state,
        workflow_id = ${workflowId},
        attempts = p.attempts + u.delta,
        started_at = CASE WHEN u.state = 'running' THEN now() ELSE p.started_at END,
        last_error = CASE WHEN u.clear THEN NULL ELSE COALESCE(u.last_error, p.last_error) END,
        last_error_detail = CASE WHEN u.clear THEN NULL ELSE COALESCE(u.detail, p.last_error_detail) END,
        updated_at = now()
      FROM u WHERE p.course_member_id = ${courseMemberId}::uuid AND p.step = u.step::provisioning_step_name
      RETURNING p.step
    )
    INSERT INTO provisioning_steps (course_member_id, step, state, attempts, last_error, last_error_detail, workflow_id, started_at, updated_at)
    SELECT m.id, u.step::provisioning_step_name, u.state::provisioning_step_state, GREATEST(u.delta, 0), u.last_error, u.detail, ${workflowId},
      CASE WHEN u.state = 'running' THEN now() END, now()
    FROM course_members m, u
    WHERE m.id = ${courseMemberId}::uuid AND u.step::provisioning_step_name NOT IN (SELECT step FROM updated)
    ON CONFLICT (course_member_id, step) DO NOTHING`;
}

export function provisioningStatusActivities(deps: ActivityDeps) {
  return {
    /** Records step states of one member (a local activity of the provisioning workflows). */
    async recordProvisioningSteps(input: { courseMemberId: string; workflowId: string; updates: TStepUpdate[] }): Promise<void> {
      await recordSteps(deps, input.courseMemberId, input.workflowId, input.updates);
    },
  };
}
