import {
  releaseWorkflowIds,
  TASK_QUEUE_TASKS,
  WF_RELEASE_ASSIGNMENTS,
  WF_RELEASE_STUDENT_TEMPLATE,
  ZAssignExampleBody,
  ZCreateCourseContentBody,
  ZReleaseSelectionBody,
  ZReleaseStudentTemplateBody,
  type TFieldIssue,
} from '@computor/contracts';
import { Prisma, type Db } from '@computor/db';
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { conflict, notFound, unprocessable } from '../http/errors';
import { parse } from '../http/validate';
import { requireCourseRole } from '../services/access';
import { examplesWhere } from '../services/example-access';
import { startWorkflow } from '../services/workflows';
import { idParam } from './resources';

const contentInclude = { exampleVersion: { include: { example: true } }, deployment: true } as const;
type TContentRow = Prisma.CourseContentGetPayload<{ include: typeof contentInclude }>;

function contentView(c: TContentRow, staff = true) {
  const base = {
    id: c.id,
    courseId: c.courseId,
    path: c.path,
    title: c.title,
    position: c.position,
    directory: c.directory ?? c.exampleVersion?.example.identifier ?? null,
    maxTestRuns: c.maxTestRuns,
  };
  if (!staff) return { ...base, deployment: c.deployment ? { status: c.deployment.status, deployedAt: c.deployment.deployedAt } : null };
  return {
    ...base,
    exampleVersionId: c.exampleVersionId,
    example: c.exampleVersion
      ? { id: c.exampleVersion.example.id, identifier: c.exampleVersion.example.identifier, versionTag: c.exampleVersion.versionTag, verificationStatus: c.exampleVersion.verificationStatus }
      : null,
    deployment: c.deployment
      ? {
          id: c.deployment.id,
          status: c.deployment.status,
          exampleVersionId: c.deployment.exampleVersionId,
          templateCommitSha: c.deployment.templateCommitSha,
          assignmentsCommitSha: c.deployment.assignmentsCommitSha,
          message: c.deployment.message,
          deployedAt: c.deployment.deployedAt,
        }
      : null,
  };
}

/** The contents a release selects: the given ids (each of this course, each with an example), or all assigned ones. */
async function selectContents(db: Db, courseId: string, body: { course_content_ids?: string[]; all?: true }): Promise<TContentRow[]> {
  if (body.all) {
    const rows = await db.courseContent.findMany({ where: { courseId, archivedAt: null, exampleVersionId: { not: null } }, include: contentInclude, orderBy: [{ position: 'asc' }, { path: 'asc' }] });
    if (!rows.length) throw unprocessable('No content of this course has an example assigned.', { fields: [{ path: 'all', message: 'nothing to release' }] });
    return rows;
  }
  const ids = body.course_content_ids!;
  const rows = await db.courseContent.findMany({ where: { courseId, id: { in: ids } }, include: contentInclude });
  const problems: TFieldIssue[] = [];
  ids.forEach((id, i) => {
    const row = rows.find((r) => r.id === id);
    if (!row) problems.push({ path: `course_content_ids[${i}]`, message: 'not a content of this course' });
    else if (!row.exampleVersionId) problems.push({ path: `course_content_ids[${i}]`, message: `no example assigned to ${row.path}` });
    if (ids.indexOf(id) !== i) problems.push({ path: `course_content_ids[${i}]`, message: 'listed twice' });
  });
  if (problems.length) throw unprocessable('Some contents cannot be released.', { fields: problems });
  return ids.map((id) => rows.find((r) => r.id === id)!);
}

/** Course contents (assignments), their examples and deployments, and the release workflows. */
export function contentRoutes(deps: ApiDeps): Router {
  const { db, temporal } = deps;
  const router = Router();

  router.post('/courses/:id/contents', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    await requireCourseRole(db, req.user!, courseId, 'lecturer');
    const body = parse(ZCreateCourseContentBody, req.body);
    try {
      const row = await db.courseContent.create({
        data: { courseId, path: body.path, title: body.title, position: body.position ?? 0, maxTestRuns: body.maxTestRuns ?? null, directory: body.directory ?? null },
        include: contentInclude,
      });
      res.status(201).json(contentView(row));
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw conflict(`A content with path "${body.path}" exists in this course.`);
      throw error;
    }
  });

  router.get('/courses/:id/contents', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    const { role } = await requireCourseRole(db, req.user!, courseId, 'student');
    const staff = role !== 'student';
    const rows = await db.courseContent.findMany({
      where: { courseId, archivedAt: null, ...(staff ? {} : { deployment: { is: { templateCommitSha: { not: null } } } }) },
      include: contentInclude,
      orderBy: [{ position: 'asc' }, { path: 'asc' }],
    });
    res.json({ items: rows.map((r) => contentView(r, staff)) });
  });

  router.put('/courses/:id/contents/:contentId/example', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    const contentId = idParam(req.params.contentId, 'Course content');
    await requireCourseRole(db, req.user!, courseId, 'lecturer');
    const { exampleVersionId } = parse(ZAssignExampleBody, req.body);
    const content = await db.courseContent.findFirst({ where: { id: contentId, courseId }, include: { deployment: true } });
    if (!content) throw notFound('Course content');
    // Only an example the caller may read (its own course's, or one their courses use): assigning
    // another course's example would publish its solutions through the assignments repository.
    const version = await db.exampleVersion.findUnique({ where: { id: exampleVersionId } });
    if (!version || !(await db.example.count({ where: { AND: [{ id: version.exampleId }, examplesWhere(req.user!, 'tutor')] } }))) throw notFound('Example version');
    const current = content.deployment;
    if (current?.status === 'deploying') throw conflict('A release of this content is running; assign after it finished.');
    if (!(content.exampleVersionId === exampleVersionId && current && current.exampleVersionId === exampleVersionId)) {
      await db.$transaction(async (tx) => {
        await tx.courseContent.update({ where: { id: content.id }, data: { exampleVersionId } });
        const deployment = current
          ? await tx.deployment.update({ where: { id: current.id }, data: { exampleVersionId, status: 'pending', message: null } })
          : await tx.deployment.create({ data: { courseContentId: content.id, exampleVersionId, status: 'pending' } });
        await tx.deploymentHistory.create({ data: { deploymentId: deployment.id, fromStatus: current?.status ?? null, toStatus: 'pending', message: `example version ${exampleVersionId} assigned` } });
      });
    }
    res.json(contentView(await db.courseContent.findUniqueOrThrow({ where: { id: content.id }, include: contentInclude })));
  });

  router.delete('/courses/:id/contents/:contentId/example', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    const contentId = idParam(req.params.contentId, 'Course content');
    await requireCourseRole(db, req.user!, courseId, 'lecturer');
    const content = await db.courseContent.findFirst({ where: { id: contentId, courseId }, include: { deployment: true } });
    if (!content) throw notFound('Course content');
    if (!content.exampleVersionId) throw notFound('Assigned example');
    const d = content.deployment;
    if (d && (d.status === 'deployed' || d.status === 'deploying' || d.templateCommitSha)) {
      throw conflict(`The example of ${content.path} has been released (deployment ${d.status}); it cannot be unassigned.`, { status: d.status });
    }
    await db.$transaction([
      ...(d ? [db.deployment.delete({ where: { id: d.id } })] : []),
      db.courseContent.update({ where: { id: content.id }, data: { exampleVersionId: null } }),
    ]);
    res.status(204).end();
  });

  router.post('/courses/:id/student-template', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    const { course } = await requireCourseRole(db, req.user!, courseId, 'lecturer');
    const body = parse(ZReleaseStudentTemplateBody, req.body);
    const contents = await selectContents(db, courseId, body);
    if (!course.studentTemplateProjectId) throw conflict('The course is not set up in GitLab yet: run setup-gitlab first.');
    const { workflowId } = await startWorkflow(db, temporal, {
      type: WF_RELEASE_STUDENT_TEMPLATE,
      workflowId: releaseWorkflowIds.studentTemplate(courseId),
      taskQueue: TASK_QUEUE_TASKS,
      args: [{ courseId, courseContentIds: contents.map((c) => c.id), force: body.force ?? false, updateStudentRepositories: body.update_student_repositories ?? false }],
      requestedById: req.user!.id,
      courseId,
    });
    res.status(202).json({ workflow_id: workflowId, status: 'started', contents: contents.map((c) => contentView(c)) });
  });

  router.post('/courses/:id/assignments-repository', async (req, res) => {
    const courseId = idParam(req.params.id, 'Course');
    const { course } = await requireCourseRole(db, req.user!, courseId, 'lecturer');
    const body = parse(ZReleaseSelectionBody, req.body);
    const contents = await selectContents(db, courseId, body);
    if (!course.gitlabGroupId) throw conflict('The course is not set up in GitLab yet: run setup-gitlab first.');
    const { workflowId } = await startWorkflow(db, temporal, {
      type: WF_RELEASE_ASSIGNMENTS,
      workflowId: releaseWorkflowIds.assignments(courseId),
      taskQueue: TASK_QUEUE_TASKS,
      args: [{ courseId, courseContentIds: contents.map((c) => c.id) }],
      requestedById: req.user!.id,
      courseId,
    });
    res.status(202).json({ workflow_id: workflowId, status: 'started', contents: contents.map((c) => contentView(c)) });
  });

  return router;
}
