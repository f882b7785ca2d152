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
  ZArchiveCourseBody,
  ZAddMembersBatchBody,
  ZHierarchyDocument,
  type TCourseRole,
} from '@computor/contracts';
import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import YAML from 'yaml';
import type { ApiDeps } from '../deps';
import { requireAdmin } from '../http/auth';
import { badRequest, conflict, forbidden, notFound } from '../http/errors';
import { parse } from '../http/validate';
import { requireCourseRole } from '../services/access';
import { startWorkflow } from '../services/workflows';
import { idParam } from './resources';

/** GitLab provisioning: course hierarchy, batch deployment, members. */
export function courseRoutes(deps: ApiDeps): Router {
  const { db, temporal } = deps;
  const router = Router();

  router.post('/courses/:id/setup-gitlab', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    await requireCourseRole(db, req.user!, courseId, 'lecturer');
    const { workflowId } = await startWorkflow(db, temporal, {
      type: WF_CREATE_COURSE_HIERARCHY,
      workflowId: workflowIds.setupCourse(courseId),
      taskQueue: TASK_QUEUE_TASKS,
      args: [{ courseId }],
      requestedById: req.user!.id,
      courseId,
    });
    res.status(202).json({ workflow_id: workflowId, status: 'started' });
  });

  router.post('/courses/:id/members', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    const { role: callerRole } = await requireCourseRole(db, req.user!, courseId, 'lecturer');
    // Parse against the one shape the body claims, so errors name its fields, not the union's.
    const isBatch = typeof req.body === 'object' && req.body !== null && 'members' in req.body;
    const members = isBatch ? parse(ZAddMembersBatchBody, req.body).members : [parse(ZAddMemberBody, req.body)];
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
          requestedById: req.user!.id,
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
          requestedById: req.user!.id,
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
          requestedById: req.user!.id,
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
  });

  router.delete('/courses/:id/members/:memberId', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    const memberId = idParam(req.params.memberId, 'Member');
    const { role: callerRole } = await requireCourseRole(db, req.user!, courseId, 'lecturer');
    const member = await db.courseMember.findFirst({ where: { id: memberId, courseId, removedAt: null } });
    if (!member) throw notFound('Member');
    if (!roleSatisfies(callerRole, member.role)) throw forbidden(`You cannot remove a member whose role is above your own (${callerRole}).`);
    await db.courseMember.update({ where: { id: member.id }, data: { removedAt: new Date() } });
    const { workflowId } = await startWorkflow(db, temporal, {
      type: WF_REVOKE_MEMBER_ACCESS,
      workflowId: workflowIds.revokeMember(courseId, member.id),
      taskQueue: TASK_QUEUE_TASKS,
      args: [{ courseId, courseMemberId: member.id }],
      requestedById: req.user!.id,
      courseId,
    });
    res.status(202).json({ workflow_id: workflowId, status: 'started' });
  });

  /** Archives the course: revokes student access; optionally removes student repositories and the course group. */
  router.post('/courses/:id/archive', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    await requireCourseRole(db, req.user!, courseId, 'lecturer');
    const body = parse(ZArchiveCourseBody, req.body ?? {});
    const { workflowId } = await startWorkflow(db, temporal, {
      type: WF_ARCHIVE_COURSE,
      workflowId: `archive-course-${courseId}`,
      taskQueue: TASK_QUEUE_TASKS,
      args: [{ courseId, removeStudentRepositories: body.remove_student_repositories, removeGroups: body.remove_groups }],
      requestedById: req.user!.id,
      courseId,
    });
    res.status(202).json({ workflow_id: workflowId, status: 'started' });
  });

  // The declarative hierarchy arrives as JSON or YAML.
  router.post('/deployments', express.text({ type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], limit: '1mb' }), async (req, res) => {
    requireAdmin(req);
    let document: unknown = req.body;
    if (typeof req.body === 'string') {
      try {
        document = YAML.parse(req.body);
      } catch (error) {
        throw badRequest(`Malformed YAML: ${(error as Error).message}`);
      }
    }
    const hierarchy = parse(ZHierarchyDocument, document, 'hierarchy');
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
      requestedById: req.user!.id,
    });
    res.status(202).json({ workflow_id: workflowId, status: 'started', course_ids: courseIds });
  });

  return router;
}
