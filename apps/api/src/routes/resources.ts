import { ZCreateCourseBody, ZCreateCourseFamilyBody, ZCreateOrganizationBody, ZCreateUserBody } from '@computor/contracts';
import { Prisma } from '@computor/db';
import { conflict, notFound } from '../http/errors';
import { access, adminOnly, ANY_USER, errors, json, jsonBody, membersOfCourse, route, uuidParam } from '../http/route';
import { ZCourseFamilyView, ZCourseView, ZListOf, ZOrganizationView, ZUserView } from '../openapi/responses';
import { courseRoleOf } from '../services/access';

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

function organizationView(o: { id: string; path: string; title: string; gitlabUrl: string; gitlabParentGroupId: number; gitlabTokenRef: string | null; gitlabGroupId: number | null; gitlabGroupFullPath: string | null; gitlabGroupWebUrl: string | null }) {
  return {
    id: o.id,
    path: o.path,
    title: o.title,
    gitlab: { url: o.gitlabUrl, parentGroupId: o.gitlabParentGroupId, tokenRef: o.gitlabTokenRef, groupId: o.gitlabGroupId, fullPath: o.gitlabGroupFullPath, webUrl: o.gitlabGroupWebUrl },
  };
}

/** Users, organizations, course families and courses: the minimal resources to drive provisioning. */
export const resourceRoutes = [
  route({
    method: 'post',
    path: '/users',
    operationId: 'createUser',
    access: adminOnly(201),
    authorize: 'admin',
    tag: 'users',
    summary: 'Create a user (administrators)',
    body: jsonBody(ZCreateUserBody),
    responses: { 201: json('Created.', ZUserView), ...errors({ 400: undefined, 403: 'Not an administrator.', 409: 'E-mail or username taken.', 413: undefined }) },
    handler: async ({ res, deps, body }) => {
      try {
        res.status(201).json(await deps.db.user.create({ data: body }));
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('A user with this e-mail, username or GitLab id exists.');
        throw error;
      }
    },
  }),
  route({
    method: 'get',
    path: '/users/:id',
    operationId: 'getUser',
    access: access({ student: 200, tutor: 404, lecturer: 404, otherLecturer: 404, admin: 200 }),
    tag: 'users',
    summary: 'A user (administrators, or the user themself)',
    params: { id: uuidParam('User') },
    responses: { 200: json('The user.', ZUserView), ...errors({ 404: undefined }) },
    handler: async ({ res, deps, user, params: { id } }) => {
      if (!user.isAdmin && user.id !== id) throw notFound('User');
      const found = await deps.db.user.findUnique({ where: { id } });
      if (!found) throw notFound('User');
      res.json(found);
    },
  }),
  route({
    method: 'post',
    path: '/organizations',
    operationId: 'createOrganization',
    access: adminOnly(201),
    authorize: 'admin',
    tag: 'resources',
    summary: 'Create an organization (administrators)',
    body: jsonBody(ZCreateOrganizationBody),
    responses: { 201: json('Created.', ZOrganizationView), ...errors({ 400: undefined, 403: 'Not an administrator.', 409: 'The path is taken.', 413: undefined }) },
    handler: async ({ res, deps, body }) => {
      try {
        const org = await deps.db.organization.create({
          data: { path: body.path, title: body.title, gitlabUrl: body.gitlab.url, gitlabParentGroupId: body.gitlab.parentGroupId, gitlabTokenRef: body.gitlab.tokenRef },
        });
        res.status(201).json(organizationView(org));
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`An organization with path "${body.path}" exists.`);
        throw error;
      }
    },
  }),
  route({
    method: 'get',
    path: '/organizations',
    operationId: 'listOrganizations',
    access: adminOnly(200),
    authorize: 'admin',
    tag: 'resources',
    summary: 'All organizations (administrators)',
    responses: { 200: json('Organizations by path.', ZListOf(ZOrganizationView)), ...errors({ 403: 'Not an administrator.' }) },
    handler: async ({ res, deps }) => {
      res.json({ items: (await deps.db.organization.findMany({ orderBy: { path: 'asc' } })).map(organizationView) });
    },
  }),
  route({
    method: 'post',
    path: '/course-families',
    operationId: 'createCourseFamily',
    access: adminOnly(201),
    authorize: 'admin',
    tag: 'resources',
    summary: 'Create a course family (administrators)',
    body: jsonBody(ZCreateCourseFamilyBody),
    responses: {
      201: json('Created.', ZCourseFamilyView),
      ...errors({ 400: undefined, 403: 'Not an administrator.', 404: 'No such organization.', 409: 'The path is taken in this organization.', 413: undefined }),
    },
    handler: async ({ res, deps: { db }, body }) => {
      if (!(await db.organization.findUnique({ where: { id: body.organizationId } }))) throw notFound('Organization');
      try {
        res.status(201).json(await db.courseFamily.create({ data: body }));
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`A course family with path "${body.path}" exists in this organization.`);
        throw error;
      }
    },
  }),
  route({
    method: 'post',
    path: '/courses',
    operationId: 'createCourse',
    access: adminOnly(201),
    authorize: 'admin',
    tag: 'resources',
    summary: 'Create a course (administrators)',
    body: jsonBody(ZCreateCourseBody),
    responses: {
      201: json('Created.', ZCourseView),
      ...errors({ 400: undefined, 403: 'Not an administrator.', 404: 'No such course family.', 409: 'The path is taken in this family.', 413: undefined }),
    },
    handler: async ({ res, deps: { db }, body }) => {
      if (!(await db.courseFamily.findUnique({ where: { id: body.courseFamilyId } }))) throw notFound('Course family');
      try {
        res.status(201).json(await db.course.create({ data: body }));
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`A course with path "${body.path}" exists in this family.`);
        throw error;
      }
    },
  }),
  route({
    method: 'get',
    path: '/courses',
    operationId: 'listCourses',
    access: ANY_USER,
    tag: 'resources',
    summary: 'Courses the caller is a member of (administrators: all)',
    responses: { 200: json('Courses.', ZListOf(ZCourseView)) },
    handler: async ({ res, deps, user }) => {
      const where = user.isAdmin ? {} : { members: { some: { userId: user.id, removedAt: null } } };
      res.json({ items: await deps.db.course.findMany({ where, orderBy: { createdAt: 'asc' } }) });
    },
  }),
  route({
    method: 'get',
    path: '/courses/:id',
    operationId: 'getCourse',
    access: membersOfCourse(200),
    tag: 'resources',
    summary: 'A course the caller is a member of',
    params: { id: uuidParam('Course') },
    responses: { 200: json('The course.', ZCourseView), ...errors({ 404: undefined }) },
    handler: async ({ res, deps: { db }, user, params: { id } }) => {
      const course = await db.course.findUnique({ where: { id } });
      if (!course || !(await courseRoleOf(db, user, id))) throw notFound('Course');
      res.json(course);
    },
  }),
];
