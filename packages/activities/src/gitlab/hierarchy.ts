import { isGitlabError, type GitlabClient, type TGitlabGroup, type TGitlabProject } from '@computor/gitlab';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps';
import { NON_RETRYABLE, nonRetryable, step } from '../failures';
import { gitlabForCourse, loadCourse, type LoadedCourse } from './context';
import { ensureDocumentsHook } from './hooks';

export const HIERARCHY_NODES = ['organization', 'family', 'course', 'students', 'tutors', 'student-template', 'assignments', 'documents'] as const;
export type THierarchyNode = (typeof HIERARCHY_NODES)[number];

export interface TEnsuredNode {
  node: THierarchyNode;
  id: number;
  fullPath: string;
  webUrl: string;
  created: boolean;
}

const groupRef = (g: TGitlabGroup, node: THierarchyNode, created: boolean): TEnsuredNode => ({ node, id: g.id, fullPath: g.fullPath, webUrl: g.webUrl, created });
const projectRef = (p: TGitlabProject, node: THierarchyNode, created: boolean): TEnsuredNode => ({ node, id: p.id, fullPath: p.pathWithNamespace, webUrl: p.webUrl, created });

/**
 * A stored id is trusted only when GitLab still has it at the expected path and is not about to
 * delete it; otherwise the path is ensured again (which refuses a group pending deletion).
 */
async function storedGroup(gitlab: GitlabClient, id: number | null, fullPath: string | null): Promise<TGitlabGroup | null> {
  if (!id || !fullPath) return null;
  const group = await gitlab.getGroup(id);
  return group && group.fullPath === fullPath && !group.markedForDeletionOn ? group : null;
}

async function readParentGroup(gitlab: GitlabClient, id: number | null, what: string): Promise<TKnownParent> {
  if (!id) throw nonRetryable(NON_RETRYABLE.precondition, `${what} has no GitLab group yet`);
  const group = await gitlab.getGroup(id);
  if (!group) throw nonRetryable(NON_RETRYABLE.notFound, `${what} (GitLab group ${id}) does not exist in GitLab`);
  return group;
}

async function ensureSubgroup(gitlab: GitlabClient, parent: TKnownParent, path: string, name: string) {
  return gitlab.ensureGroup({ parentId: parent.id, parentFullPath: parent.fullPath, path, name, visibility: 'private' });
}

/** A parent group the workflow has just ensured (id and full path): it is not read again. */
export interface TKnownParent {
  id: number;
  fullPath: string;
}

async function ensureNode(deps: ActivityDeps, course: LoadedCourse, node: THierarchyNode, known?: TKnownParent): Promise<TEnsuredNode> {
  const gitlab = gitlabForCourse(deps, course);
  const parentGroup = (id: number | null, what: string) => (known && id === known.id ? Promise.resolve(known) : readParentGroup(gitlab, id, what));
  const org = course.family.organization;
  const family = course.family;
  const db = deps.db;
  switch (node) {
    case 'organization': {
      const existing = await storedGroup(gitlab, org.gitlabGroupId, org.gitlabGroupFullPath);
      if (existing) return groupRef(existing, node, false);
      // The pre-existing parent is not read first: the create names it by id (one request for a new
      // organization group), and GitLab's 404 says when it is not there.
      const parentId = org.gitlabParentGroupId;
      const what = `The parent group of organization "${org.path}"`;
      if (!parentId) throw nonRetryable(NON_RETRYABLE.precondition, `${what} has no GitLab group yet`);
      const { group, created } = await gitlab.ensureGroup({ parentId, path: org.path, name: org.title, visibility: 'private' }).catch((error: unknown) => {
        if (isGitlabError(error) && error.kind === 'not_found') throw nonRetryable(NON_RETRYABLE.notFound, `${what} (GitLab group ${parentId}) does not exist in GitLab`);
        throw error;
      });
      await db.organization.update({ where: { id: org.id }, data: { gitlabGroupId: group.id, gitlabGroupFullPath: group.fullPath, gitlabGroupWebUrl: group.webUrl } });
      return groupRef(group, node, created);
    }
    case 'family': {
      const existing = await storedGroup(gitlab, family.gitlabGroupId, family.gitlabGroupFullPath);
      if (existing) return groupRef(existing, node, false);
      const parent = await parentGroup(org.gitlabGroupId, `Organization "${org.path}"`);
      const { group, created } = await ensureSubgroup(gitlab, parent, family.path, family.title);
      await db.courseFamily.update({ where: { id: family.id }, data: { gitlabGroupId: group.id, gitlabGroupFullPath: group.fullPath, gitlabGroupWebUrl: group.webUrl } });
      return groupRef(group, node, created);
    }
    case 'course': {
      const existing = await storedGroup(gitlab, course.gitlabGroupId, course.gitlabGroupFullPath);
      if (existing) return groupRef(existing, node, false);
      const parent = await parentGroup(family.gitlabGroupId, `Course family "${family.path}"`);
      const { group, created } = await ensureSubgroup(gitlab, parent, course.path, course.title);
      await db.course.update({ where: { id: course.id }, data: { gitlabGroupId: group.id, gitlabGroupFullPath: group.fullPath, gitlabGroupWebUrl: group.webUrl } });
      return groupRef(group, node, created);
    }
    case 'students':
    case 'tutors': {
      const idField = node === 'students' ? course.gitlabStudentsGroupId : course.gitlabTutorsGroupId;
      const pathField = node === 'students' ? course.gitlabStudentsGroupFullPath : course.gitlabTutorsGroupFullPath;
      const existing = await storedGroup(gitlab, idField, pathField);
      if (existing) return groupRef(existing, node, false);
      const parent = await parentGroup(course.gitlabGroupId, `Course "${course.path}"`);
      const { group, created } = await ensureSubgroup(gitlab, parent, node, node === 'students' ? 'Students' : 'Tutors');
      await db.course.update({
        where: { id: course.id },
        data: node === 'students' ? { gitlabStudentsGroupId: group.id, gitlabStudentsGroupFullPath: group.fullPath } : { gitlabTutorsGroupId: group.id, gitlabTutorsGroupFullPath: group.fullPath },
      });
      return groupRef(group, node, created);
    }
    case 'student-template':
    case 'assignments': {
      const template = node === 'student-template';
      const storedId = template ? course.studentTemplateProjectId : course.assignmentsProjectId;
      const storedPath = template ? course.studentTemplateProjectPath : course.assignmentsProjectPath;
      if (storedId && storedPath) {
        const project = await gitlab.getProject(storedId);
        if (project && project.pathWithNamespace === storedPath && !project.markedForDeletionOn) return projectRef(project, node, false);
      }
      const parent = await parentGroup(course.gitlabGroupId, `Course "${course.path}"`);
      const { project, created } = await gitlab.ensureProject({
        namespaceId: parent.id,
        namespaceFullPath: parent.fullPath,
        path: node,
        name: template ? 'Student Template' : 'Assignments',
        visibility: 'private',
        defaultBranch: 'main',
        initializeWithReadme: true,
      });
      await db.course.update({
        where: { id: course.id },
        data: template
          ? { studentTemplateProjectId: project.id, studentTemplateProjectPath: project.pathWithNamespace, studentTemplateWebUrl: project.webUrl, studentTemplateHttpUrl: project.httpUrlToRepo }
          : { assignmentsProjectId: project.id, assignmentsProjectPath: project.pathWithNamespace, assignmentsWebUrl: project.webUrl, assignmentsHttpUrl: project.httpUrlToRepo },
      });
      return projectRef(project, node, created);
    }
    case 'documents': {
      // The family's, shared by its courses: a second course's run adopts it.
      let project: TGitlabProject | null = null;
      let created = false;
      if (family.documentsProjectId && family.documentsProjectPath) {
        const stored = await gitlab.getProject(family.documentsProjectId);
        if (stored && stored.pathWithNamespace === family.documentsProjectPath && !stored.markedForDeletionOn) project = stored;
      }
      if (!project) {
        const parent = await parentGroup(family.gitlabGroupId, `Course family "${family.path}"`);
        ({ project, created } = await gitlab.ensureProject({
          namespaceId: parent.id,
          namespaceFullPath: parent.fullPath,
          path: 'documents',
          name: 'Documents',
          visibility: 'private',
          defaultBranch: 'main',
          initializeWithReadme: true,
        }));
        await db.courseFamily.update({
          where: { id: family.id },
          data: { documentsProjectId: project.id, documentsProjectPath: project.pathWithNamespace, documentsWebUrl: project.webUrl, documentsHookId: null },
        });
      }
      // Sync on push: the hook once per project (a new or re-adopted project has none recorded).
      if (created || !family.documentsHookId || family.documentsProjectId !== project.id) await ensureDocumentsHook(deps, gitlab, { courseFamilyId: family.id, projectId: project.id });
      return projectRef(project, node, created);
    }
  }
}

/** A node's failure inside the one-activity hierarchy, named by its node (type and retry hints kept). */
function failedNode(node: THierarchyNode, error: unknown): unknown {
  if (!(error instanceof ApplicationFailure)) return error;
  return ApplicationFailure.create({ type: error.type ?? undefined, message: `ensure ${node} failed: ${error.message}`, nonRetryable: error.nonRetryable ?? false, nextRetryDelay: error.nextRetryDelay ?? undefined, cause: error });
}

export type TEnsuredHierarchy = Record<THierarchyNode, TEnsuredNode>;

export function hierarchyActivities(deps: ActivityDeps) {
  return {
    /**
     * The course's whole hierarchy in one activity: organization -> family -> its documents project
     * beside the course -> students, tutors, student-template and assignments, each node ensured
     * under the parent just ensured and the independent ones at once. One Temporal round trip in
     * all instead of one per level (about 25 ms each, on the critical path of every course). A
     * retry runs it again: nodes already made are read back by their stored ids and adopted.
     */
    async ensureCourseHierarchy(input: { courseId: string }): Promise<TEnsuredHierarchy> {
      // The course is read once per level: a level needs its parent's stored id and path.
      const load = () => loadCourse(deps, input.courseId);
      const ensure = async (course: LoadedCourse, node: THierarchyNode, parent?: TKnownParent): Promise<TEnsuredNode> => {
        try {
          return await step(`ensure ${node} of course ${course.path}`, () => ensureNode(deps, course, node, parent));
        } catch (error) {
          throw failedNode(node, error);
        }
      };
      const organization = await ensure(await load(), 'organization');
      const family = await ensure(await load(), 'family', organization);
      const underFamily = await load();
      const [documents, below] = await Promise.all([
        ensure(underFamily, 'documents', family),
        (async () => {
          const course = await ensure(underFamily, 'course', family);
          const underCourse = await load();
          const [students, tutors, template, assignments] = await Promise.all([
            ensure(underCourse, 'students', course),
            ensure(underCourse, 'tutors', course),
            ensure(underCourse, 'student-template', course),
            ensure(underCourse, 'assignments', course),
          ]);
          return { course, students, tutors, 'student-template': template, assignments };
        })(),
      ]);
      return { organization, family, documents, ...below };
    },

    /**
     * Creates or adopts one node of a course's GitLab hierarchy and records it. Idempotent: an
     * existing full path is adopted, a stored id is reused only while GitLab still has it there.
     */
    async ensureHierarchyNode(input: { courseId: string; node: THierarchyNode; parent?: TKnownParent }): Promise<TEnsuredNode> {
      if (!HIERARCHY_NODES.includes(input.node)) throw nonRetryable(NON_RETRYABLE.invalidInput, `Unknown hierarchy node ${String(input.node)}`);
      const course = await loadCourse(deps, input.courseId);
      return step(`ensure ${input.node} of course ${course.path}`, () => ensureNode(deps, course, input.node, input.parent));
    },

    /** Of the given courses, those whose hierarchy is not fully recorded yet (re-runs redo only those). */
    async listUnprovisionedCourses(input: { courseIds: string[] }): Promise<string[]> {
      const done = await deps.db.course.findMany({
        where: {
          id: { in: input.courseIds },
          gitlabGroupId: { not: null },
          gitlabStudentsGroupId: { not: null },
          gitlabTutorsGroupId: { not: null },
          studentTemplateProjectId: { not: null },
          assignmentsProjectId: { not: null },
          family: { documentsProjectId: { not: null } },
        },
        select: { id: true },
      });
      const doneIds = new Set(done.map((c) => c.id));
      return input.courseIds.filter((id) => !doneIds.has(id));
    },
  };
}
