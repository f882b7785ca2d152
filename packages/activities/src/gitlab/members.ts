import { GITLAB_ACCESS, PROVISIONING_STEPS, studentRepositoryPath, type TCourseRole } from '@computor/contracts';
import type { GitlabClient, TGitlabProject } from '@computor/gitlab';
import { isGitlabError } from '@computor/gitlab';
import { modelRow, sqlOf, type CourseMemberModel as CourseMember, type SqlQuery, type UserModel as User } from '@computor/db';
import { randomUUID } from 'node:crypto';
import { Context, heartbeat } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { recordSteps, type TStepUpdate } from '../provisioning/status';
import { inProvisioningStep, NON_RETRYABLE, nonRetryable, settleAll, step } from '../failures';
import { gitlabForCourse, loadCourse, requireProvisioned, UUID, type LoadedCourse } from './context';
import { ensurePushHook } from './hooks';

export interface TStudentProject {
  projectId: number;
  path: string;
  webUrl: string;
  httpUrl: string;
  importStatus: string | null;
  importError: string | null;
}

const projectView = (p: TGitlabProject): TStudentProject => ({
  projectId: p.id,
  path: p.pathWithNamespace,
  webUrl: p.webUrl,
  httpUrl: p.httpUrlToRepo,
  importStatus: p.importStatus,
  importError: p.importError,
});

/** Access on the course group by role; students get theirs on their own project instead. */
const COURSE_GROUP_ACCESS: Record<TCourseRole, number | null> = {
  owner: GITLAB_ACCESS.owner,
  maintainer: GITLAB_ACCESS.maintainer,
  lecturer: GITLAB_ACCESS.maintainer,
  tutor: GITLAB_ACCESS.developer,
  student: null,
};

/** `gitlabUserId`: the member's cached id on the course's GitLab (null: none), when read with the member. */
export type LoadedMember = CourseMember & { user: User; gitlabUserId?: number | null };

// The reads and writes below run for every student of a batch: plain statements (see sqlOf).
async function loadMember(deps: ActivityDeps, courseId: string, courseMemberId: string): Promise<LoadedMember> {
  // The cached GitLab user id comes along (the identity on the course's instance): no read of its own.
  const [row] = UUID.test(courseMemberId)
    ? await sqlOf(deps.db).tables`
        SELECT m.*, u.*, gi.gitlab_user_id FROM course_members m JOIN users u ON u.id = m.user_id
          LEFT JOIN gitlab_identities gi ON gi.user_id = u.id AND gi.gitlab_url = (
            SELECT o.gitlab_url FROM courses c JOIN course_families f ON f.id = c.course_family_id JOIN organizations o ON o.id = f.organization_id WHERE c.id = m.course_id)
         WHERE m.id = ${courseMemberId}::uuid`
    : [];
  const [member, user, identity] = row ?? [];
  if (!member || member.course_id !== courseId) throw nonRetryable(NON_RETRYABLE.notFound, `Course member ${courseMemberId} not found in course ${courseId}`);
  return { ...modelRow<CourseMember>(member), user: modelRow<User>(user!), gitlabUserId: (identity?.gitlab_user_id as number | null | undefined) ?? null };
}

async function cachedGitlabUserId(deps: ActivityDeps, course: LoadedCourse, member: LoadedMember): Promise<number | null> {
  if (member.gitlabUserId !== undefined) return member.gitlabUserId;
  const [cached] = await sqlOf(deps.db)<{ id: number }>`
    SELECT gitlab_user_id AS id FROM gitlab_identities WHERE user_id = ${member.user.id}::uuid AND gitlab_url = ${course.family.organization.gitlabUrl}`;
  return cached?.id ?? null;
}

const isUniqueViolation = (error: unknown, constraint: string) =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505' && (error as { constraint?: unknown }).constraint === constraint;

/**
 * Records GitLab's answer: one statement. GitLab has just said this account is the member's, so a
 * mapping of the same account to another user (whose GitLab username has changed hands since) is
 * stale: when the insert meets it, it goes in a transaction with the insert, instead of the insert
 * failing on the unique account and the activity retrying for ever.
 */
async function cacheGitlabUserId(deps: ActivityDeps, course: LoadedCourse, member: LoadedMember, gitlabUserId: number): Promise<void> {
  const url = course.family.organization.gitlabUrl;
  const insert = (sql: SqlQuery) => sql`
    INSERT INTO gitlab_identities (id, user_id, gitlab_url, gitlab_user_id, created_at)
    VALUES (${randomUUID()}::uuid, ${member.user.id}::uuid, ${url}, ${gitlabUserId}, ${new Date()})
    ON CONFLICT (user_id, gitlab_url) DO UPDATE SET gitlab_user_id = EXCLUDED.gitlab_user_id`;
  try {
    await insert(sqlOf(deps.db));
  } catch (error) {
    if (!isUniqueViolation(error, 'gitlab_identities_gitlab_url_gitlab_user_id_key')) throw error;
    await sqlOf(deps.db).transaction(async (sql) => {
      await sql`DELETE FROM gitlab_identities WHERE gitlab_url = ${url} AND gitlab_user_id = ${gitlabUserId} AND user_id <> ${member.user.id}::uuid`;
      await insert(sql);
    });
  }
  member.gitlabUserId = gitlabUserId;
}

/** The member's user id on the course's GitLab instance, looked up by username once and cached. */
export async function gitlabUserId(deps: ActivityDeps, gitlab: GitlabClient, course: LoadedCourse, member: LoadedMember): Promise<number> {
  const cached = await cachedGitlabUserId(deps, course, member);
  if (cached !== null) return cached;
  const found = await gitlab.findUserByUsername(member.user.username);
  if (!found) throw nonRetryable(NON_RETRYABLE.gitlabUserNotFound, `No GitLab user "${member.user.username}" for ${member.user.email}`);
  await cacheGitlabUserId(deps, course, member, found.id);
  return found.id;
}

/**
 * Gives the member `level` on a project and answers their GitLab user id. Without a cached id the
 * member is added by username: GitLab's answer carries the id, which saves the user lookup
 * (`GET /users`) per student. An unknown username fails as the user step.
 */
async function grantProjectAccess(deps: ActivityDeps, gitlab: GitlabClient, course: LoadedCourse, member: LoadedMember, projectId: number, level: number, knownUserId?: number): Promise<number> {
  const cached = knownUserId ?? (await cachedGitlabUserId(deps, course, member));
  if (cached !== null) {
    await gitlab.ensureProjectMember(projectId, cached, level);
    return cached;
  }
  try {
    const { member: granted } = await gitlab.ensureProjectMemberByUsername(projectId, member.user.username, level);
    await cacheGitlabUserId(deps, course, member, granted.userId);
    return granted.userId;
  } catch (error) {
    if (isGitlabError(error) && error.kind === 'not_found' && /user not found/i.test(error.gitlabMessage ?? '')) {
      return inProvisioningStep('user', async () => {
        throw nonRetryable(NON_RETRYABLE.gitlabUserNotFound, `No GitLab user "${member.user.username}" for ${member.user.email}`);
      });
    }
    throw error;
  }
}

async function context(deps: ActivityDeps, input: { courseId: string; courseMemberId: string }) {
  // Both at once; a missing course is reported before a missing member, as when they ran in turn.
  const [course, member] = await settleAll([loadCourse(deps, input.courseId), loadMember(deps, input.courseId, input.courseMemberId)]);
  return { deps, course, member, gitlab: gitlabForCourse(deps, course) };
}

function studentPath(member: LoadedMember): string {
  return studentRepositoryPath({ id: member.user.id, username: member.user.username });
}

export type TForkOutcome = { state: 'finalized' | 'importing'; project: TStudentProject };

/** GitLab reports "finished" for a completed fork; "none" (or nothing) when no import ran. */
const importDone = (status: string | null) => status === 'finished' || status === 'none' || status === null;

/**
 * `known` is the project as GitLab has just answered it in this attempt (the import poll): it is not
 * read again. A bare id (finalizing after durable polling, or the fallback copy) is read first, for
 * its URLs and to see that it still exists. `newProject`: this attempt created it, so it has no hooks.
 * `grantTemplateAccess` false: the workflow granted student-template access as its own (membership) step.
 */
async function finalize(
  ctx: Awaited<ReturnType<typeof context>>,
  known: number | TGitlabProject,
  provisioning: 'fork' | 'fallback_copy',
  o: { newProject?: boolean; grantTemplateAccess?: boolean; userId?: number; recordSteps?: boolean } = {},
): Promise<TStudentProject> {
  const { deps, course, member, gitlab } = ctx;
  const ids = requireProvisioned(course);
  return inProvisioningStep('access', () => step(`finalize repository of ${member.user.username}`, async () => {
    const project = typeof known === 'number' ? await gitlab.getProject(known) : known;
    if (!project) throw nonRetryable(NON_RETRYABLE.notFound, `Project ${String(known)} disappeared before it was finalized`);
    // A fork's main comes protected (Maintainers push, nobody force-pushes): one DELETE, answered 404
    // when it is not. Independent of the grant, so both go at once (one round trip, not two).
    const [, userId] = await settleAll([
      gitlab.unprotectBranch(project.id, 'main'),
      grantProjectAccess(deps, gitlab, course, member, project.id, GITLAB_ACCESS.maintainer, o.userId),
    ]);
    if (o.grantTemplateAccess !== false) await gitlab.ensureProjectMember(ids.templateProjectId, userId, GITLAB_ACCESS.reporter);
    await ensurePushHook(deps, gitlab, { courseId: course.id, courseMemberId: member.id, projectId: project.id, newProject: o.newProject });
    const updated = await sqlOf(deps.db)`
      UPDATE course_members SET gitlab_project_id = ${project.id}, gitlab_project_path = ${project.pathWithNamespace}, gitlab_project_web_url = ${project.webUrl},
        gitlab_project_http_url = ${project.httpUrlToRepo}, repository_provisioning = ${provisioning}::repository_provisioning, updated_at = ${new Date()}
      WHERE id = ${member.id}::uuid RETURNING id`;
    if (!updated.length) throw nonRetryable(NON_RETRYABLE.notFound, `Course member ${member.id} disappeared before its repository was recorded`);
    if (o.recordSteps) await recordActivitySteps(deps, member.id, [{ step: 'repository', state: 'done' }, { step: 'access', state: 'done' }]);
    return projectView(project);
  }));
}

/** Step states the activity records itself, under the workflow that runs it (the status view reads them). */
async function recordActivitySteps(deps: ActivityDeps, courseMemberId: string, updates: TStepUpdate[]): Promise<void> {
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  if (workflowId) await recordSteps(deps, courseMemberId, workflowId, updates);
}

export function memberActivities(deps: ActivityDeps) {
  return {
    /**
     * Forks student-template into the students group at the member's stable path (adopting a
     * fork already there), polls up to `importWaitMs` for GitLab's import (small forks take well
     * under a second) and, once it is finished, finalizes the repository in the same attempt. A
     * longer import is left to the workflow's durable timers (`state: "importing"`), so no
     * activity slot is held for it. Fails with ForkUnavailable when GitLab refuses the fork or
     * reports the import failed.
     */
    async forkStudentRepository(input: { courseId: string; courseMemberId: string; importWaitMs?: number; grantTemplateAccess?: boolean; templateAccessFirst?: boolean; recordSteps?: boolean }): Promise<TForkOutcome> {
      const ctx = await context(deps, input);
      const { course, member, gitlab } = ctx;
      const ids = requireProvisioned(course);
      // recordSteps: this activity records the four steps running (its first attempt is the run's
      // attempt) and done; the workflow records only a failure.
      // The "running" write goes beside the first request; it lands before any "done" (awaited first).
      const running = input.recordSteps && Context.current().info.attempt === 1 ? recordActivitySteps(deps, member.id, PROVISIONING_STEPS.map((s) => ({ step: s, state: 'running' as const }))) : undefined;
      let userId: number | undefined;
      if (input.templateAccessFirst) {
        // The membership step, before anything is made: one request by username, whose answer
        // carries the user id (an unknown username fails as the user step).
        [userId] = await settleAll([
          inProvisioningStep('membership', () =>
            step(`grant student-template access to ${member.user.username}`, () => grantProjectAccess(deps, gitlab, course, member, ids.templateProjectId, GITLAB_ACCESS.reporter)),
          ),
          running,
        ]);
        // The status view shows these two done while the fork runs (or waits for its import).
        await recordActivitySteps(deps, member.id, [{ step: 'user', state: 'done' }, { step: 'membership', state: 'done' }]);
      } else await running;
      // forkProject forks first and adopts what is at the path only when GitLab says it is taken
      // (a retry, or a student provisioned before): it compares the path (redirects), refuses a
      // project pending deletion and one that is not a fork of the template.
      const { project: forkAnswer, created } = await step(`fork student-template for ${member.user.username}`, async () => {
        try {
          return await gitlab.forkProject({
            sourceProjectId: ids.templateProjectId,
            namespaceId: ids.studentsGroupId,
            namespaceFullPath: ids.studentsGroupFullPath,
            path: studentPath(member),
            name: studentPath(member),
          });
        } catch (error) {
          if (isGitlabError(error) && !error.retryable && error.kind !== 'pending_deletion') {
            throw nonRetryable(NON_RETRYABLE.forkUnavailable, `GitLab refused the fork: ${error.message}`);
          }
          throw error;
        }
      });
      let project = forkAnswer;
      let status = { importStatus: project.importStatus, importError: project.importError };
      if (!importDone(status.importStatus) && input.importWaitMs) {
        // Polls back off (250 ms, 500 ms, 1 s, ...): each is a GET /projects/:id, which GitLab.com limits per user.
        // No heartbeat per poll: the SDK sends an activity's first heartbeat at once, a Temporal
        // request per student, and the wait (importWaitMs, 1.5 s) is well inside the heartbeat
        // timeout; the step heartbeats after 3 s as every step does.
        const polled = await step(`wait for the import of project ${project.id}`, () =>
          gitlab.waitForImport(project.id, { timeoutMs: input.importWaitMs, intervalMs: 250, signal: Context.current().cancellationSignal }),
        );
        project = polled.project;
        status = { importStatus: polled.importStatus, importError: polled.importError };
      }
      if (status.importStatus === 'failed') {
        throw nonRetryable(NON_RETRYABLE.forkUnavailable, `GitLab could not complete the fork: ${status.importError ?? 'import failed'}`);
      }
      if (!importDone(status.importStatus)) return { state: 'importing', project: { ...projectView(project), ...status } };
      return { state: 'finalized', project: await finalize(ctx, project, 'fork', { newProject: created, grantTemplateAccess: input.grantTemplateAccess, ...(userId !== undefined ? { userId } : {}), recordSteps: input.recordSteps }) };
    },

    async getImportStatus(input: { courseId: string; projectId: number }): Promise<{ importStatus: string | null; importError: string | null }> {
      const course = await loadCourse(deps, input.courseId);
      return step(`import status of project ${input.projectId}`, () => gitlabForCourse(deps, course).getImportStatus(input.projectId));
    },

    /**
     * The fallback when no fork can be made: creates (or adopts) the student's project and commits
     * the template's files it does not have yet, never overwriting what is there.
     */
    async copyTemplateRepository(input: { courseId: string; courseMemberId: string }): Promise<TStudentProject> {
      const { course, member, gitlab } = await context(deps, input);
      const ids = requireProvisioned(course);
      return step(`copy student-template for ${member.user.username}`, async () => {
        const { project } = await gitlab.ensureProject({
          namespaceId: ids.studentsGroupId,
          namespaceFullPath: ids.studentsGroupFullPath,
          path: studentPath(member),
          name: studentPath(member),
          visibility: 'private',
          defaultBranch: 'main',
          initializeWithReadme: false,
        });
        const templateTree = await gitlab.getTree(ids.templateProjectId, { ref: 'main', recursive: true });
        const targetTree = await gitlab.getTree(project.id, { ref: 'main', recursive: true }).catch((error: unknown) => {
          // An empty repository has no main branch yet.
          if (isGitlabError(error) && error.kind === 'not_found') return [];
          throw error;
        });
        const have = new Set(targetTree.filter((t) => t.type === 'blob').map((t) => t.path));
        const actions = [];
        for (const item of templateTree) {
          if (item.type !== 'blob' || have.has(item.path)) continue;
          const content = await gitlab.getFileContent(ids.templateProjectId, item.path, 'main');
          if (content) actions.push({ action: 'create' as const, filePath: item.path, content });
          heartbeat({ copied: actions.length });
        }
        if (actions.length) {
          await gitlab.commit(project.id, { branch: 'main', message: 'Initial content from student-template', actions });
        }
        return projectView(project);
      });
    },

    /** Unprotects main, grants the student Maintainer on the repository and Reporter on the template, records the project. */
    async finalizeStudentRepository(input: { courseId: string; courseMemberId: string; projectId: number; provisioning: 'fork' | 'fallback_copy'; grantTemplateAccess?: boolean; recordSteps?: boolean }): Promise<TStudentProject> {
      return finalize(await context(deps, input), input.projectId, input.provisioning, { grantTemplateAccess: input.grantTemplateAccess, recordSteps: input.recordSteps });
    },

    /** Grants a staff member their role's access on the course group (students: Reporter on the template). */
    async syncMemberPermissions(input: { courseId: string; courseMemberId: string }): Promise<{ accessLevel: number; target: string }> {
      const { course, member, gitlab } = await context(deps, input);
      const ids = requireProvisioned(course);
      if (member.removedAt) throw nonRetryable(NON_RETRYABLE.precondition, `Member ${member.id} was removed from the course`);
      return step(`grant ${member.role} access to ${member.user.username}`, async () => {
        const level = COURSE_GROUP_ACCESS[member.role];
        if (level === null) {
          // One request for a student: added by username, the answer carries the user id.
          await grantProjectAccess(deps, gitlab, course, member, ids.templateProjectId, GITLAB_ACCESS.reporter);
          return { accessLevel: GITLAB_ACCESS.reporter, target: 'student-template' };
        }
        const userId = await inProvisioningStep('user', () => step(`look up GitLab user ${member.user.username}`, () => gitlabUserId(deps, gitlab, course, member)));
        await gitlab.ensureGroupMember(ids.courseGroupId, userId, level);
        return { accessLevel: level, target: 'course group' };
      });
    },

    /** Removes a member's access: course group, student-template, and their own repository (which is kept). */
    async revokeMemberAccess(input: { courseId: string; courseMemberId: string }): Promise<{ revoked: string[] }> {
      const { course, member, gitlab } = await context(deps, input);
      const ids = requireProvisioned(course);
      return step(`revoke access of ${member.user.username}`, async () => {
        const userId = await gitlabUserId(deps, gitlab, course, member);
        const revoked: string[] = [];
        await gitlab.removeGroupMember(ids.courseGroupId, userId);
        revoked.push('course group');
        await gitlab.removeProjectMember(ids.templateProjectId, userId);
        revoked.push('student-template');
        if (member.gitlabProjectId) {
          await gitlab.removeProjectMember(member.gitlabProjectId, userId);
          revoked.push('own repository');
        }
        return { revoked };
      });
    },
  };
}
