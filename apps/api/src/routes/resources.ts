import {
  ZCreateCourseBody,
  ZCreateCourseFamilyBody,
  ZCreateOrganizationBody,
  ZCreateUserBody,
  ZUuid,
} from '@computor/contracts';
import { Prisma } from '@computor/db';
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { requireAdmin } from '../http/auth';
import { conflict, notFound } from '../http/errors';
import { parse } from '../http/validate';
import { courseRoleOf } from '../services/access';

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

export const idParam = (value: unknown, what: string) => {
  const result = ZUuid.safeParse(value);
  if (!result.success) throw notFound(what);
  return result.data;
};

function organizationView(o: { id: string; path: string; title: string; gitlabUrl: string; gitlabParentGroupId: number; gitlabTokenRef: string | null; gitlabGroupId: number | null; gitlabGroupFullPath: string | null; gitlabGroupWebUrl: string | null }) {
  return {
    id: o.id,
    path: o.path,
    title: o.title,
    gitlab: { url: o.gitlabUrl, parentGroupId: o.gitlabParentGroupId, tokenRef: o.gitlabTokenRef, groupId: o.gitlabGroupId, fullPath: o.gitlabGroupFullPath, webUrl: o.gitlabGroupWebUrl },
  };
}

/** Users, organizations, course families and courses: the minimal resources to drive provisioning. */
export function resourceRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();

  router.post('/users', async (req, res) => {
    requireAdmin(req);
    const body = parse(ZCreateUserBody, req.body);
    try {
      const user = await db.user.create({ data: body });
      res.status(201).json(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('A user with this e-mail, username or GitLab id exists.');
      throw error;
    }
  });

  router.get('/users/:id', async (req, res) => {
    const id = idParam(req.params.id, 'User');
    if (!req.user!.isAdmin && req.user!.id !== id) throw notFound('User');
    const user = await db.user.findUnique({ where: { id } });
    if (!user) throw notFound('User');
    res.json(user);
  });

  router.post('/organizations', async (req, res) => {
    requireAdmin(req);
    const body = parse(ZCreateOrganizationBody, req.body);
    try {
      const org = await db.organization.create({
        data: { path: body.path, title: body.title, gitlabUrl: body.gitlab.url, gitlabParentGroupId: body.gitlab.parentGroupId, gitlabTokenRef: body.gitlab.tokenRef },
      });
      res.status(201).json(organizationView(org));
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`An organization with path "${body.path}" exists.`);
      throw error;
    }
  });

  router.get('/organizations', async (req, res) => {
    requireAdmin(req);
    res.json({ items: (await db.organization.findMany({ orderBy: { path: 'asc' } })).map(organizationView) });
  });

  router.post('/course-families', async (req, res) => {
    requireAdmin(req);
    const body = parse(ZCreateCourseFamilyBody, req.body);
    if (!(await db.organization.findUnique({ where: { id: body.organizationId } }))) throw notFound('Organization');
    try {
      res.status(201).json(await db.courseFamily.create({ data: body }));
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A course family with path "${body.path}" exists in this organization.`);
      throw error;
    }
  });

  router.post('/courses', async (req, res) => {
    requireAdmin(req);
    const body = parse(ZCreateCourseBody, req.body);
    if (!(await db.courseFamily.findUnique({ where: { id: body.courseFamilyId } }))) throw notFound('Course family');
    try {
      res.status(201).json(await db.course.create({ data: body }));
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A course with path "${body.path}" exists in this family.`);
      throw error;
    }
  });

  router.get('/courses', async (req, res) => {
    const where = req.user!.isAdmin ? {} : { members: { some: { userId: req.user!.id, removedAt: null } } };
    res.json({ items: await db.course.findMany({ where, orderBy: { createdAt: 'asc' } }) });
  });

  router.get('/courses/:id', async (req, res) => {
    const id = idParam(req.params.id, 'Course');
    const course = await db.course.findUnique({ where: { id } });
    if (!course || !(await courseRoleOf(db, req.user!, id))) throw notFound('Course');
    res.json(course);
  });

  return router;
}
