import { GITLAB_ACCESS, RELEASE_FAILURE } from '@computor/contracts';
import type { Prisma } from '@computor/db';
import { ZMetaProperties } from '@computor/grader';
import { heartbeat } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { exampleContentHash } from '../examples/content-hash';
import { computeStudentView } from '../examples/student-view';
import { NON_RETRYABLE, nonRetryable, step } from '../failures';
import { gitlabForCourse, loadCourse, requireProvisioned } from '../gitlab/context';
import { releaseDiff, renderRootReadme, type TReadmeEntry } from './root-readme';

export type TReleaseTarget = 'student-template' | 'assignments';
type TDeploymentStatus = 'pending' | 'deploying' | 'deployed' | 'failed';

export interface TPlannedContent {
  courseContentId: string;
  path: string;
  title: string;
  directory: string;
  exampleVersionId: string;
  identifier: string;
  versionTag: string;
}

async function loadContents(deps: ActivityDeps, courseId: string, courseContentIds: readonly string[]) {
  const rows = await deps.db.courseContent.findMany({
    where: { id: { in: [...courseContentIds] }, courseId },
    include: { exampleVersion: { include: { example: true } }, deployment: true },
  });
  const missing = courseContentIds.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length) throw nonRetryable(NON_RETRYABLE.notFound, `Course contents not found in course ${courseId}: ${missing.join(', ')}`);
  const unassigned = rows.filter((r) => !r.exampleVersion);
  if (unassigned.length) throw nonRetryable(NON_RETRYABLE.precondition, `No example assigned to: ${unassigned.map((r) => r.path).join(', ')}`);
  return rows.map((r) => ({ row: r, version: r.exampleVersion!, directory: r.directory ?? r.exampleVersion!.example.identifier }));
}

function assertDistinctDirectories(contents: ReadonlyArray<{ row: { path: string }; directory: string }>) {
  const clash = contents.filter((c, i) => contents.some((o, j) => j !== i && (o.directory === c.directory || c.directory.startsWith(`${o.directory}/`))));
  if (clash.length) throw nonRetryable(NON_RETRYABLE.precondition, `Assignments would share a directory: ${clash.map((c) => `${c.row.path} -> ${c.directory}`).join(', ')}`);
}

/** The files of an example version from object storage, checked against the recorded hash. */
async function versionFiles(deps: ActivityDeps, version: { id: string; objectPrefix: string; contentHash: string }) {
  const files = await deps.storage.getFiles(version.objectPrefix);
  if (exampleContentHash(files) !== version.contentHash) {
    throw nonRetryable(NON_RETRYABLE.precondition, `The stored files of example version ${version.id} do not match their recorded hash`);
  }
  return files;
}

function studentFiles(files: Array<{ path: string; data: Buffer }>, meta: unknown) {
  const parsed = ZMetaProperties.safeParse((meta as { properties?: unknown } | null)?.properties ?? {});
  if (!parsed.success) throw nonRetryable(NON_RETRYABLE.precondition, `Recorded meta.yaml properties are invalid: ${parsed.error.message}`);
  return computeStudentView(files, parsed.data);
}

export function releaseActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** Every released directory's wanted files, for one target. */
  async function wantedFiles(target: TReleaseTarget, contents: Awaited<ReturnType<typeof loadContents>>) {
    const out: Array<{ filePath: string; content: Buffer }> = [];
    for (const c of contents) {
      const files = await versionFiles(deps, c.version);
      const view = target === 'student-template' ? studentFiles(files, c.version.meta) : files;
      for (const f of view) out.push({ filePath: `${c.directory}/${f.path}`, content: f.data });
      heartbeat({ loaded: c.row.path });
    }
    return out;
  }

  return {
    /**
     * Reads the contents to release and their example versions. Refuses (non-retryable) unknown
     * contents, contents without an example, clashing directories, a course not set up in GitLab,
     * and, for the student template, versions that are not verified unless `force`.
     */
    async planRelease(input: { courseId: string; courseContentIds: string[]; target: TReleaseTarget; force: boolean }): Promise<{ contents: TPlannedContent[] }> {
      const course = await loadCourse(deps, input.courseId);
      requireProvisioned(course);
      const contents = await loadContents(deps, input.courseId, input.courseContentIds);
      assertDistinctDirectories(contents);
      if (input.target === 'student-template' && !input.force) {
        const refused = contents.filter((c) => c.version.verificationStatus !== 'verified');
        if (refused.length) {
          throw nonRetryable(
            RELEASE_FAILURE.notVerified,
            `Not verified (release with force to override): ${refused.map((c) => `${c.row.path} (${c.version.example.identifier} ${c.version.versionTag}: ${c.version.verificationStatus})`).join(', ')}`,
          );
        }
      }
      return {
        contents: contents.map((c) => ({
          courseContentId: c.row.id,
          path: c.row.path,
          title: c.row.title,
          directory: c.directory,
          exampleVersionId: c.version.id,
          identifier: c.version.example.identifier,
          versionTag: c.version.versionTag,
        })),
      };
    },

    /**
     * Moves the deployments of the given contents to `status`, writing a history row per actual
     * transition. Idempotent: a row already in that state (with that commit) is left alone.
     */
    async markDeployments(input: { courseContentIds: string[]; status: TDeploymentStatus; workflowId: string; commitSha?: string | null; message?: string | null }): Promise<{ changed: number }> {
      let changed = 0;
      for (const courseContentId of input.courseContentIds) {
        const content = await db.courseContent.findUnique({ where: { id: courseContentId }, include: { deployment: true } });
        if (!content?.exampleVersionId) continue;
        const current = content.deployment;
        if (current && current.status === input.status && (input.status !== 'deployed' || current.templateCommitSha === input.commitSha) && current.exampleVersionId === content.exampleVersionId) continue;
        const data: Prisma.DeploymentUncheckedUpdateInput = {
          status: input.status,
          exampleVersionId: content.exampleVersionId,
          message: input.message ?? null,
          ...(input.status === 'deployed' ? { templateCommitSha: input.commitSha ?? null, deployedAt: new Date() } : {}),
        };
        await db.$transaction(async (tx) => {
          const deployment = current
            ? await tx.deployment.update({ where: { id: current.id }, data })
            : await tx.deployment.create({ data: { courseContentId, exampleVersionId: content.exampleVersionId!, status: input.status, message: input.message ?? null, templateCommitSha: input.status === 'deployed' ? input.commitSha ?? null : null, deployedAt: input.status === 'deployed' ? new Date() : null } });
          await tx.deploymentHistory.create({
            data: { deploymentId: deployment.id, fromStatus: current?.status ?? null, toStatus: input.status, commitSha: input.status === 'deployed' ? input.commitSha ?? null : null, workflowId: input.workflowId, message: input.message ?? null },
          });
        });
        changed++;
      }
      return { changed };
    },

    /**
     * One commit with every difference under the released directories plus the regenerated root
     * README (create, update, delete only what differs; no commit when nothing does).
     */
    async syncReleaseRepository(input: { courseId: string; courseContentIds: string[]; target: TReleaseTarget }): Promise<{ projectId: number; commitSha: string | null; headSha: string; actions: Array<{ action: 'create' | 'update' | 'delete'; filePath: string }> }> {
      const course = await loadCourse(deps, input.courseId);
      const projectId = input.target === 'student-template' ? course.studentTemplateProjectId : course.assignmentsProjectId;
      if (!projectId) throw nonRetryable(NON_RETRYABLE.precondition, `Course ${course.id} has no ${input.target} repository yet: run setup-gitlab first`);
      const contents = await loadContents(deps, input.courseId, input.courseContentIds);
      assertDistinctDirectories(contents);
      const files = await wantedFiles(input.target, contents);
      // The README lists this release plus what earlier releases put there.
      const earlier = await db.courseContent.findMany({
        where: {
          courseId: course.id,
          id: { notIn: input.courseContentIds },
          archivedAt: null,
          exampleVersion: { isNot: null },
          deployment: input.target === 'student-template' ? { is: { templateCommitSha: { not: null } } } : { is: { assignmentsCommitSha: { not: null } } },
        },
        include: { exampleVersion: { include: { example: true } } },
      });
      const entries: TReadmeEntry[] = [
        ...contents.map((c) => ({ path: c.row.path, title: c.row.title, directory: c.directory, position: c.row.position })),
        ...earlier.map((c) => ({ path: c.path, title: c.title, directory: c.directory ?? c.exampleVersion!.example.identifier, position: c.position })),
      ];
      const heading = input.target === 'student-template' ? `${course.title}: assignments` : `${course.title}: assignments (staff)`;
      files.push({ filePath: 'README.md', content: Buffer.from(renderRootReadme(heading, entries), 'utf8') });
      const gitlab = gitlabForCourse(deps, course);
      return step(`sync ${input.target} of course ${course.path}`, async () => {
        const tree = await gitlab.getTree(projectId, { ref: 'main', recursive: true });
        const deletePaths = releaseDiff(files, tree.filter((t) => t.type === 'blob').map((t) => t.path), contents.map((c) => c.directory));
        const dirs = contents.map((c) => c.directory).join(', ');
        const result = await gitlab.syncFiles(projectId, { branch: 'main', message: `Release ${dirs}`, files, deletePaths });
        const headSha = result.sha ?? (await gitlab.getBranch(projectId, 'main'))?.commitId;
        if (!headSha) throw nonRetryable(NON_RETRYABLE.precondition, `${input.target} has no main branch after the release`);
        return { projectId, commitSha: result.sha, headSha, actions: result.actions };
      });
    },

    /** Students may read the template but never push to it: main stays protected for Maintainers. */
    async protectTemplateBranch(input: { courseId: string }): Promise<{ changed: boolean }> {
      const course = await loadCourse(deps, input.courseId);
      const ids = requireProvisioned(course);
      const gitlab = gitlabForCourse(deps, course);
      return step(`protect main of student-template`, async () => {
        const branch = await gitlab.getBranch(ids.templateProjectId, 'main');
        if (!branch || branch.protected) return { changed: false };
        await gitlab.protectBranch(ids.templateProjectId, 'main', { pushAccessLevel: GITLAB_ACCESS.maintainer, mergeAccessLevel: GITLAB_ACCESS.maintainer });
        return { changed: true };
      });
    },

    async recordAssignmentsCommit(input: { courseContentIds: string[]; commitSha: string }): Promise<{ changed: number }> {
      const { count } = await db.deployment.updateMany({ where: { courseContentId: { in: input.courseContentIds } }, data: { assignmentsCommitSha: input.commitSha } });
      return { changed: count };
    },

    /** Students of the course that have a repository to carry a release into. */
    async listStudentRepositories(input: { courseId: string }): Promise<Array<{ courseMemberId: string }>> {
      const rows = await db.courseMember.findMany({
        where: { courseId: input.courseId, role: 'student', removedAt: null, gitlabProjectId: { not: null } },
        select: { id: true },
        orderBy: { createdAt: 'asc' },
      });
      return rows.map((r) => ({ courseMemberId: r.id }));
    },

    /**
     * Adds the released assignments to a student's repository: files the student does not have
     * are created in one commit; files they already have are never touched, nothing is deleted.
     */
    async updateStudentRepository(input: { courseId: string; courseMemberId: string; courseContentIds: string[] }): Promise<{ projectId: number; commitSha: string | null; created: string[] }> {
      const course = await loadCourse(deps, input.courseId);
      const member = await db.courseMember.findUnique({ where: { id: input.courseMemberId } });
      if (!member || member.courseId !== course.id) throw nonRetryable(NON_RETRYABLE.notFound, `Course member ${input.courseMemberId} not found in course ${course.id}`);
      const projectId = member.gitlabProjectId;
      if (!projectId) throw nonRetryable(NON_RETRYABLE.precondition, `Course member ${member.id} has no repository`);
      const contents = await loadContents(deps, input.courseId, input.courseContentIds);
      const files = await wantedFiles('student-template', contents);
      const gitlab = gitlabForCourse(deps, course);
      return step(`update repository of member ${member.id}`, async () => {
        const tree = await gitlab.getTree(projectId, { ref: 'main', recursive: true });
        const have = new Set(tree.filter((t) => t.type === 'blob').map((t) => t.path));
        const actions = files.filter((f) => !have.has(f.filePath)).map((f) => ({ action: 'create' as const, filePath: f.filePath, content: f.content }));
        if (actions.length === 0) return { projectId, commitSha: null, created: [] };
        const sha = await gitlab.commit(projectId, { branch: 'main', message: `New assignments: ${contents.map((c) => c.directory).join(', ')}`, actions });
        return { projectId, commitSha: sha, created: actions.map((a) => a.filePath) };
      });
    },
  };
}
