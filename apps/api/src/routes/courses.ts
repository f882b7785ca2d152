import {
  roleSatisfies,
  TASK_QUEUE_TASKS,
  WF_ADD_STUDENTS,
  WF_ARCHIVE_COURSE,
  WF_CREATE_COURSE_HIERARCHY,
  WF_DEPLOY_HIERARCHY,
  WF_PROVISION_STUDENT_REPOSITORY,
  WF_REVOKE_MEMBER_ACCESS,
  WF_SYNC_MEMBER_PERMISSIONS,
  workflowIds,
  ZAddMemberBody,
  ZAddMembersBatchBody,
  ZAddMembersBody,
  ZArchiveCourseBody,
  ZHierarchyDocument,
  type TCourseRole,
} from '@computor/contracts';
import { randomUUID } from 'node:crypto';
import { badRequest, conflict, forbidden, notFound } from '../http/errors';
import { adminOnly, errors, json, jsonBody, lecturerOfCourse, route, uuidParam, YAML_TYPES } from '../http/route';
import { ZDeploymentStartedBody, ZMembersAddedBody, ZWorkflowStartedBody } from '../openapi/responses';
import { startWorkflow } from '../services/workflows';

const courseId = uuidParam('Course');
const started = (workflowId: string) => ({ workflow_id: workflowId, status: 'started' as const });

/** GitLab provisioning: course hierarchy, batch deployment, members. */
export const courseRoutes = [
  route({
    method: 'post',
    path: '/courses/:id/setup-gitlab',
    operationId: 'setupCourseGitlab',
    access: lecturerOfCourse(202),
    authorize: { courseRole: 'lecturer' },
    tag: 'provisioning',
    summary: 'Start creating the course\'s GitLab groups and projects (lecturer or higher)',
    description: 'Idempotent: a repeated request while the workflow runs answers the running execution.',
    params: { id: courseId },
    responses: { 202: json('Workflow started.', ZWorkflowStartedBody), ...errors({ 403: undefined, 404: undefined }) },
    handler: async ({ res, deps: { db, temporal }, user, course }) => {
      const { workflowId } = await startWorkflow(db, temporal, {
        type: WF_CREATE_COURSE_HIERARCHY,
        workflowId: workflowIds.setupCourse(course.id),
        taskQueue: TASK_QUEUE_TASKS,
        args: [{ courseId: course.id }],
        requestedById: user.id,
        courseId: course.id,
      });
      res.status(202).json(started(workflowId));
    },
  }),
  route({
    method: 'post',
    path: '/courses/:id/members',
    operationId: 'addCourseMembers',
    access: lecturerOfCourse(202),
    authorize: { courseRole: 'lecturer' },
    tag: 'provisioning',
    summary: 'Add one member, or several (`members`), and start their GitLab provisioning (lecturer or higher)',
    description: 'Nobody grants a role above their own. Students get a repository (one or a batch workflow); staff get their permissions synced.',
    params: { id: courseId },
    // Parsed against the one shape the body claims, so errors name its fields, not the union's.
    body: jsonBody(ZAddMembersBody, { claims: (raw) => (typeof raw === 'object' && raw !== null && 'members' in raw ? ZAddMembersBatchBody : ZAddMemberBody) }),
    responses: {
      202: json('Members added, workflows started.', ZMembersAddedBody),
      ...errors({ 400: 'Invalid body, or a user listed twice.', 403: 'Role too low, or a role above the caller\'s own requested.', 404: 'No such course (or not visible), or unknown user ids.', 409: 'Some users are members already (`details.userIds`).', 413: undefined }),
    },
    handler: async ({ res, deps: { db, temporal }, user, course, role: callerRole, body }) => {
      const courseId = course.id;
      const members = 'members' in body ? body.members : [body];
      const duplicates = members.filter((m, i) => members.findIndex((o) => o.userId === m.userId) !== i);
      if (duplicates.length) throw badRequest('Each user may appear once.', duplicates.map((d) => ({ path: 'members', message: `duplicate userId ${d.userId}` })));
      // Nobody grants a role above their own.
      const tooHigh = members.filter((m) => !roleSatisfies(callerRole, m.role));
      if (tooHigh.length) throw forbidden(`You cannot grant a role above your own (${callerRole}).`);
      const users = await db.user.findMany({ where: { id: { in: members.map((m) => m.userId) } }, select: { id: true } });
      const missing = members.filter((m) => !users.some((u) => u.id === m.userId));
      if (missing.length) throw notFound(`User(s) ${missing.map((m) => m.userId).join(', ')}`);
      const existing = await db.courseMember.findMany({ where: { courseId, userId: { in: members.map((m) => m.userId) }, removedAt: null } });
      if (existing.length) {
        throw conflict('Already members of this course.', { userIds: existing.map((e) => e.userId) });
      }
      const rows = await db.$transaction(
        members.map((m) =>
          db.courseMember.upsert({
            where: { courseId_userId: { courseId, userId: m.userId } },
            create: { courseId, userId: m.userId, role: m.role },
            update: { role: m.role, removedAt: null },
          }),
        ),
      );
      const students = rows.filter((r) => r.role === 'student');
      const staff = rows.filter((r) => r.role !== 'student');
      const workflows: string[] = [];
      if (students.length === 1) {
        workflows.push(
          (await startWorkflow(db, temporal, {
            type: WF_PROVISION_STUDENT_REPOSITORY,
            workflowId: workflowIds.provisionStudent(courseId, students[0]!.id),
            taskQueue: TASK_QUEUE_TASKS,
            args: [{ courseId, courseMemberId: students[0]!.id }],
            requestedById: user.id,
            courseId,
          })).workflowId,
        );
      } else if (students.length > 1) {
        workflows.push(
          (await startWorkflow(db, temporal, {
            type: WF_ADD_STUDENTS,
            workflowId: workflowIds.addStudents(courseId, randomUUID()),
            taskQueue: TASK_QUEUE_TASKS,
            args: [{ courseId, courseMemberIds: students.map((s) => s.id) }],
            requestedById: user.id,
            courseId,
          })).workflowId,
        );
      }
      for (const member of staff) {
        workflows.push(
          (await startWorkflow(db, temporal, {
            type: WF_SYNC_MEMBER_PERMISSIONS,
            workflowId: workflowIds.syncMember(courseId, member.id),
            taskQueue: TASK_QUEUE_TASKS,
            args: [{ courseId, courseMemberId: member.id }],
            requestedById: user.id,
            courseId,
          })).workflowId,
        );
      }
      res.status(202).json({
        status: 'started',
        members: rows.map((r) => ({ id: r.id, userId: r.userId, role: r.role as TCourseRole })),
        workflow_ids: workflows,
        ...(workflows.length === 1 ? { workflow_id: workflows[0] } : {}),
      });
    },
  }),
  route({
    method: 'delete',
    path: '/courses/:id/members/:memberId',
    operationId: 'removeCourseMember',
    access: lecturerOfCourse(202),
    authorize: { courseRole: 'lecturer' },
    tag: 'provisioning',
    summary: 'Remove a member and start revoking their GitLab access (lecturer or higher)',
    params: { id: courseId, memberId: uuidParam('Member') },
    responses: { 202: json('Workflow started.', ZWorkflowStartedBody), ...errors({ 403: 'Role too low, or the member\'s role is above the caller\'s.', 404: 'No such course or member.' }) },
    handler: async ({ res, deps: { db, temporal }, user, course, role: callerRole, params }) => {
      const member = await db.courseMember.findFirst({ where: { id: params.memberId, courseId: course.id, removedAt: null } });
      if (!member) throw notFound('Member');
      if (!roleSatisfies(callerRole, member.role)) throw forbidden(`You cannot remove a member whose role is above your own (${callerRole}).`);
      await db.courseMember.update({ where: { id: member.id }, data: { removedAt: new Date() } });
      const { workflowId } = await startWorkflow(db, temporal, {
        type: WF_REVOKE_MEMBER_ACCESS,
        workflowId: workflowIds.revokeMember(course.id, member.id),
        taskQueue: TASK_QUEUE_TASKS,
        args: [{ courseId: course.id, courseMemberId: member.id }],
        requestedById: user.id,
        courseId: course.id,
      });
      res.status(202).json(started(workflowId));
    },
  }),
  /** Archives the course: revokes student access; optionally removes student repositories and the course group. */
  route({
    method: 'post',
    path: '/courses/:id/archive',
    operationId: 'archiveCourse',
    access: lecturerOfCourse(202),
    authorize: { courseRole: 'lecturer' },
    tag: 'provisioning',
    summary: 'Archive a course: revoke student access; optionally remove student repositories and the course groups in GitLab (lecturer or higher)',
    params: { id: courseId },
    body: jsonBody(ZArchiveCourseBody, { required: false }),
    responses: { 202: json('Workflow started.', ZWorkflowStartedBody), ...errors({ 400: undefined, 403: undefined, 404: undefined, 413: undefined }) },
    handler: async ({ res, deps: { db, temporal }, user, course, body }) => {
      const { workflowId } = await startWorkflow(db, temporal, {
        type: WF_ARCHIVE_COURSE,
        workflowId: `archive-course-${course.id}`,
        taskQueue: TASK_QUEUE_TASKS,
        args: [{ courseId: course.id, removeStudentRepositories: body.remove_student_repositories, removeGroups: body.remove_groups }],
        requestedById: user.id,
        courseId: course.id,
      });
      res.status(202).json(started(workflowId));
    },
  }),
  route({
    method: 'post',
    path: '/deployments',
    operationId: 'deployHierarchy',
    access: adminOnly(202),
    authorize: 'admin',
    tag: 'provisioning',
    summary: 'Declare organizations, families and courses (JSON or YAML) and provision them in GitLab (administrators)',
    // The declarative hierarchy arrives as JSON or YAML.
    body: jsonBody(ZHierarchyDocument, { label: 'hierarchy', yaml: true, description: `The same document as JSON or as YAML (${YAML_TYPES.map((t) => `\`${t}\``).join(', ')}).` }),
    responses: {
      202: json('Rows created or updated, deployment workflow started.', ZDeploymentStartedBody),
      ...errors({ 400: 'Malformed YAML or JSON, invalid document, duplicate courses, or no course declared.', 403: 'Not an administrator.', 409: 'An organization exists in GitLab with different GitLab settings.', 413: undefined }),
    },
    handler: async ({ res, deps: { db, temporal }, user, body: hierarchy }) => {
      const paths = new Set<string>();
      const dupes: { path: string; message: string }[] = [];
      hierarchy.organizations.forEach((o, oi) =>
        o.families.forEach((f, fi) =>
          f.courses.forEach((c, ci) => {
            const key = `${o.path}/${f.path}/${c.path}`;
            if (paths.has(key)) dupes.push({ path: `organizations[${oi}].families[${fi}].courses[${ci}].path`, message: `duplicate course ${key}` });
            paths.add(key);
          }),
        ),
      );
      if (dupes.length) throw badRequest('Invalid hierarchy.', dupes);
      if (paths.size === 0) throw badRequest('Invalid hierarchy.', [{ path: 'organizations', message: 'declares no course' }]);

      const courseIds = await db.$transaction(async (tx) => {
        const ids: string[] = [];
        for (const o of hierarchy.organizations) {
          const org = await tx.organization.upsert({
            where: { path: o.path },
            create: { path: o.path, title: o.title, gitlabUrl: o.gitlab.url, gitlabParentGroupId: o.gitlab.parentGroupId, gitlabTokenRef: o.gitlab.tokenRef },
            update: { title: o.title },
          });
          if (org.gitlabUrl !== o.gitlab.url || org.gitlabParentGroupId !== o.gitlab.parentGroupId) {
            // Safe to correct while nothing exists in GitLab yet; afterwards it would orphan groups.
            if (org.gitlabGroupId !== null) {
              throw conflict(`Organization "${o.path}" exists in GitLab with different settings; they cannot be changed by a deployment.`);
            }
            await tx.organization.update({ where: { id: org.id }, data: { gitlabUrl: o.gitlab.url, gitlabParentGroupId: o.gitlab.parentGroupId, gitlabTokenRef: o.gitlab.tokenRef } });
          }
          for (const f of o.families) {
            const family = await tx.courseFamily.upsert({
              where: { organizationId_path: { organizationId: org.id, path: f.path } },
              create: { organizationId: org.id, path: f.path, title: f.title },
              update: { title: f.title },
            });
            for (const c of f.courses) {
              const course = await tx.course.upsert({
                where: { courseFamilyId_path: { courseFamilyId: family.id, path: c.path } },
                create: { courseFamilyId: family.id, path: c.path, title: c.title },
                update: { title: c.title },
              });
              ids.push(course.id);
            }
          }
        }
        return ids;
      });
      const batchId = randomUUID();
      const { workflowId } = await startWorkflow(db, temporal, {
        type: WF_DEPLOY_HIERARCHY,
        workflowId: workflowIds.deployHierarchy(batchId),
        taskQueue: TASK_QUEUE_TASKS,
        args: [{ courseIds, maxConcurrent: hierarchy.maxConcurrent }],
        requestedById: user.id,
      });
      res.status(202).json({ ...started(workflowId), course_ids: courseIds });
    },
  }),
];
