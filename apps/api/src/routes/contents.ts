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
import type { z } from 'zod';
import { conflict, notFound, unprocessable } from '../http/errors';
import { errors, json, jsonBody, lecturerOfCourse, membersOfCourse, route, uuidParam } from '../http/route';
import { ZContentView, ZListOf, ZReleaseStartedBody } from '../openapi/responses';
import { examplesWhere } from '../services/example-access';
import { startWorkflow } from '../services/workflows';

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
    releaseAt: c.releaseAt,
    dueAt: c.dueAt,
    lateUntil: c.lateUntil,
    latePolicy: c.latePolicy,
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

/** The release bodies take exactly one of `course_content_ids` or `all` (a refinement the document states as `oneOf`). */
const releaseBody = <S extends z.ZodType>(schema: S) => jsonBody(schema.meta({ oneOf: [{ required: ['course_content_ids'] }, { required: ['all'] }] }) as S);

const releaseErrors = errors({
  400: 'Invalid body: give exactly one of `course_content_ids` or `all: true`.',
  403: undefined,
  404: undefined,
  409: 'The course is not set up in GitLab yet.',
  413: undefined,
  422: 'Some selected contents cannot be released (`details.fields`).',
});

const courseId = uuidParam('Course');
const contentId = uuidParam('Course content');

/** Course contents (assignments), their examples and deployments, and the release workflows. */
export const contentRoutes = [
  route({
    method: 'post',
    path: '/courses/:id/contents',
    operationId: 'createCourseContent',
    access: lecturerOfCourse(201),
    authorize: { courseRole: 'lecturer' },
    tag: 'contents',
    summary: 'Create a course content (assignment slot) (lecturer or higher)',
    params: { id: courseId },
    body: jsonBody(ZCreateCourseContentBody),
    responses: { 201: json('Created (staff view).', ZContentView), ...errors({ 400: undefined, 403: undefined, 404: undefined, 409: 'The path is taken in this course.', 413: undefined }) },
    handler: async ({ res, deps: { db }, course, body }) => {
      try {
        const row = await db.courseContent.create({
          data: { courseId: course.id, path: body.path, title: body.title, position: body.position ?? 0, maxTestRuns: body.maxTestRuns ?? null, directory: body.directory ?? null },
          include: contentInclude,
        });
        res.status(201).json(contentView(row));
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw conflict(`A content with path "${body.path}" exists in this course.`);
        throw error;
      }
    },
  }),
  route({
    method: 'get',
    path: '/courses/:id/contents',
    operationId: 'listCourseContents',
    access: membersOfCourse(200),
    authorize: { courseRole: 'student' },
    tag: 'contents',
    summary: 'Contents of a course (members; students see released contents only, in the student view)',
    params: { id: courseId },
    responses: { 200: json('Contents by position and path.', ZListOf(ZContentView)), ...errors({ 404: undefined }) },
    handler: async ({ res, deps: { db }, course, role }) => {
      const staff = role !== 'student';
      const rows = await db.courseContent.findMany({
        where: { courseId: course.id, archivedAt: null, ...(staff ? {} : { deployment: { is: { templateCommitSha: { not: null } } } }) },
        include: contentInclude,
        orderBy: [{ position: 'asc' }, { path: 'asc' }],
      });
      res.json({ items: rows.map((r) => contentView(r, staff)) });
    },
  }),
  route({
    method: 'put',
    path: '/courses/:id/contents/:contentId/example',
    operationId: 'assignExample',
    access: lecturerOfCourse(200),
    authorize: { courseRole: 'lecturer' },
    tag: 'contents',
    summary: 'Assign an example version to a content; its deployment becomes pending (lecturer or higher)',
    params: { id: courseId, contentId },
    body: jsonBody(ZAssignExampleBody),
    responses: {
      200: json('The content (staff view).', ZContentView),
      ...errors({ 400: undefined, 403: undefined, 404: 'No such course or content, or no example version the caller may read.', 409: 'A release of this content is running.', 413: undefined }),
    },
    handler: async ({ res, deps: { db }, user, course, params, body: { exampleVersionId } }) => {
      const content = await db.courseContent.findFirst({ where: { id: params.contentId, courseId: course.id }, include: { deployment: true } });
      if (!content) throw notFound('Course content');
      // Only an example the caller may read (its own course's, or one their courses use): assigning
      // another course's example would publish its solutions through the assignments repository.
      const version = await db.exampleVersion.findUnique({ where: { id: exampleVersionId } });
      if (!version || !(await db.example.count({ where: { AND: [{ id: version.exampleId }, examplesWhere(user, 'tutor')] } }))) throw notFound('Example version');
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
    },
  }),
  route({
    method: 'delete',
    path: '/courses/:id/contents/:contentId/example',
    operationId: 'unassignExample',
    access: lecturerOfCourse(204),
    authorize: { courseRole: 'lecturer' },
    tag: 'contents',
    summary: 'Unassign the example of a content that was never released (lecturer or higher)',
    params: { id: courseId, contentId },
    responses: { 204: { description: 'Unassigned.' }, ...errors({ 403: undefined, 404: 'No such course or content, or no example assigned.', 409: 'The example has been released.' }) },
    handler: async ({ res, deps: { db }, course, params }) => {
      const content = await db.courseContent.findFirst({ where: { id: params.contentId, courseId: course.id }, include: { deployment: true } });
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
    },
  }),
  route({
    method: 'post',
    path: '/courses/:id/student-template',
    operationId: 'releaseStudentTemplate',
    access: lecturerOfCourse(202),
    authorize: { courseRole: 'lecturer' },
    tag: 'contents',
    summary: 'Release contents into the student-template repository (lecturer or higher)',
    params: { id: courseId },
    body: releaseBody(ZReleaseStudentTemplateBody),
    responses: { 202: json('Release workflow started.', ZReleaseStartedBody), ...releaseErrors },
    handler: async ({ res, deps: { db, temporal }, user, course, body }) => {
      const contents = await selectContents(db, course.id, body);
      if (!course.studentTemplateProjectId) throw conflict('The course is not set up in GitLab yet: run setup-gitlab first.');
      const { workflowId } = await startWorkflow(db, temporal, {
        type: WF_RELEASE_STUDENT_TEMPLATE,
        workflowId: releaseWorkflowIds.studentTemplate(course.id),
        taskQueue: TASK_QUEUE_TASKS,
        args: [{ courseId: course.id, courseContentIds: contents.map((c) => c.id), force: body.force ?? false, updateStudentRepositories: body.update_student_repositories ?? false }],
        requestedById: user.id,
        courseId: course.id,
      });
      res.status(202).json({ workflow_id: workflowId, status: 'started', contents: contents.map((c) => contentView(c)) });
    },
  }),
  route({
    method: 'post',
    path: '/courses/:id/assignments-repository',
    operationId: 'releaseAssignments',
    access: lecturerOfCourse(202),
    authorize: { courseRole: 'lecturer' },
    tag: 'contents',
    summary: 'Publish full assignments (with solutions and tests) into the staff repository (lecturer or higher)',
    params: { id: courseId },
    body: releaseBody(ZReleaseSelectionBody),
    responses: { 202: json('Release workflow started.', ZReleaseStartedBody), ...releaseErrors },
    handler: async ({ res, deps: { db, temporal }, user, course, body }) => {
      const contents = await selectContents(db, course.id, body);
      if (!course.gitlabGroupId) throw conflict('The course is not set up in GitLab yet: run setup-gitlab first.');
      const { workflowId } = await startWorkflow(db, temporal, {
        type: WF_RELEASE_ASSIGNMENTS,
        workflowId: releaseWorkflowIds.assignments(course.id),
        taskQueue: TASK_QUEUE_TASKS,
        args: [{ courseId: course.id, courseContentIds: contents.map((c) => c.id) }],
        requestedById: user.id,
        courseId: course.id,
      });
      res.status(202).json({ workflow_id: workflowId, status: 'started', contents: contents.map((c) => contentView(c)) });
    },
  }),
];
