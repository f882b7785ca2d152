import { ZAddMemberBody, ZAddMembersBatchBody, ZAddMembersBody, ZUuid } from '@computor/contracts';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { buildOpenApiDocument } from '../openapi/document';
import { ROUTES } from '../routes';
import { errorHandler } from './error-handler';
import { checkRoutes, registerRoutes } from './register';
import { adminOnly, ANY_USER, jsonBody, lecturerOfCourse, route, textParam, uuidParam, type ApiRoute, type AppServices } from './route';

const ID = '00000000-0000-4000-8000-000000000001';
const noLimit: express.RequestHandler = (_req, _res, next) => next();

/** An app serving `routes` as the API does, with a caller of `role` in course ID (no database). */
function appFor(routes: ApiRoute[], role: string | null = 'lecturer') {
  const db = {
    course: { findUnique: async ({ where }: { where: { id: string } }) => (where.id === ID ? { id: ID, title: 'C' } : null) },
    courseMember: { findUnique: async () => (role ? { role, removedAt: null } : null) },
  };
  const deps = { db, config: { maxUploadBytes: 1024 } } as unknown as ApiDeps;
  const app = express();
  app.use(express.json());
  app.use((req, _res, next) => {
    req.user = { id: 'u', email: 'u@example.test', username: 'u', isAdmin: false };
    next();
  });
  registerRoutes(app, routes, deps, {} as AppServices, { uploads: noLimit, testRuns: noLimit });
  app.use(errorHandler());
  return app;
}

const echo = route({
  method: 'post',
  path: '/things/:id/:name',
  operationId: 'echo',
  tag: 't',
  summary: 'echo',
  access: ANY_USER,
  params: { id: uuidParam('Thing'), name: textParam },
  query: z.strictObject({ n: z.coerce.number().int().min(1).default(1) }),
  body: jsonBody(z.strictObject({ title: z.string().min(1), tags: z.array(z.string().max(3)).optional() })),
  responses: {},
  handler: ({ res, params, query, body }) => {
    res.json({ params, query, body });
  },
});

describe('a declared route', () => {
  it('hands the handler its parsed params, query and body', async () => {
    const res = await request(appFor([echo])).post(`/things/${ID}/x?n=3`).send({ title: 'T' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ params: { id: ID, name: 'x' }, query: { n: 3 }, body: { title: 'T' } });
  });

  it('answers 404 for a UUID parameter that is none, before anything else', async () => {
    const res = await request(appFor([echo])).post('/things/nope/x?n=0').send({});
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'Thing not found.' } });
  });

  it('answers 400 naming each offending field of the query, then of the body', async () => {
    const query = await request(appFor([echo])).post(`/things/${ID}/x?n=0&extra=1`).send({});
    expect(query.status).toBe(400);
    expect(query.body.error).toMatchObject({ code: 'validation_failed', message: 'Invalid query.' });
    expect(query.body.error.details.fields.map((f: { path: string }) => f.path).sort()).toEqual(['', 'n']);
    const body = await request(appFor([echo])).post(`/things/${ID}/x`).send({ title: '', tags: ['abcd'] });
    expect(body.status).toBe(400);
    expect(body.body.error).toMatchObject({ code: 'validation_failed', message: 'Invalid request body.' });
    expect(body.body.error.details.fields.map((f: { path: string }) => f.path)).toEqual(['title', 'tags[0]']);
  });

  it('takes an absent optional body as {}, and an absent required one as invalid', async () => {
    const optional = route({
      method: 'post',
      path: '/optional',
      operationId: 'optional',
      tag: 't',
      summary: 's',
      access: ANY_USER,
      body: jsonBody(z.strictObject({ force: z.boolean().optional() }), { required: false }),
      responses: {},
      handler: ({ res, body }) => res.json(body),
    });
    expect((await request(appFor([optional])).post('/optional')).body).toEqual({});
    expect((await request(appFor([echo])).post(`/things/${ID}/x`)).status).toBe(400);
  });

  it('validates a union against the option the body claims', async () => {
    const members = route({
      method: 'post',
      path: '/members',
      operationId: 'members',
      tag: 't',
      summary: 's',
      access: ANY_USER,
      body: jsonBody(ZAddMembersBody, { claims: (raw) => (typeof raw === 'object' && raw !== null && 'members' in raw ? ZAddMembersBatchBody : ZAddMemberBody) }),
      responses: {},
      handler: ({ res }) => res.end(),
    });
    const res = await request(appFor([members])).post('/members').send({ members: [{ userId: ID, role: 'boss' }] });
    expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toEqual(['members[0].role']);
  });

  it('checks a course-role rule before the body, and hands the handler the course and role', async () => {
    const create = route({
      method: 'post',
      path: '/courses/:id/things',
      operationId: 'createThing',
      tag: 't',
      summary: 's',
      access: lecturerOfCourse(201),
      authorize: { courseRole: 'lecturer' },
      params: { id: uuidParam('Course') },
      body: jsonBody(z.strictObject({ title: z.string() })),
      responses: {},
      handler: ({ res, course, role }) => {
        res.status(201).json({ course: course.id, role });
      },
    });
    const path = `/courses/${ID}/things`;
    expect((await request(appFor([create], 'tutor')).post(path).send({ bad: 1 })).status).toBe(403);
    expect((await request(appFor([create], null)).post(path).send({ bad: 1 })).status).toBe(404);
    expect((await request(appFor([create])).post(path).send({ bad: 1 })).status).toBe(400);
    expect((await request(appFor([create])).post(path).send({ title: 'T' })).body).toEqual({ course: ID, role: 'lecturer' });
  });

  it('checks the admin rule before the body', async () => {
    const admin = route({ method: 'post', path: '/admin', operationId: 'admin', tag: 't', summary: 's', access: adminOnly(200), authorize: 'admin', body: jsonBody(ZUuid), responses: {}, handler: () => undefined });
    expect((await request(appFor([admin])).post('/admin').send({})).status).toBe(403);
  });
});

describe('the declarations', () => {
  it('are servable: unique, every path parameter declared, course-role rules on :id', () => {
    expect(() => checkRoutes(ROUTES)).not.toThrow();
    expect(() => checkRoutes([echo, echo])).toThrow(/declared twice/);
    expect(() => checkRoutes([{ ...echo, path: '/things/:id' }])).toThrow(/path parameters/);
  });

  it('make the document, one operation each', () => {
    const document = buildOpenApiDocument() as { paths: Record<string, Record<string, { operationId: string }>> };
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    expect(operations.sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
  });

  it('cannot declare a route without its access row', () => {
    // @ts-expect-error `access` is required
    route({ method: 'get', path: '/x', operationId: 'x', tag: 't', summary: 's', responses: {}, handler: () => undefined });
  });
});
