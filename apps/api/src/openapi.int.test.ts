import { spawnSync } from 'node:child_process';
import { createCourseFixture, loadStackEnv, stackDb, stackStorage, stackTemporal, testLogger, uniq, type CourseFixture } from '@computor/test-support';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';
import { buildOpenApiDocument, openapiPath } from './openapi/document';

type Json = Record<string, any>;

let deps: ApiDeps;
let connection: Connection;
let app: Express;
let fixture: CourseFixture;
const document = buildOpenApiDocument() as Json;

beforeAll(async () => {
  const temporal = await stackTemporal();
  connection = temporal.connection;
  deps = {
    db: stackDb(),
    temporal: temporal.client as Client,
    storage: stackStorage(),
    logger: testLogger('api'),
    config: { maxUploadBytes: 1024 * 1024, resultWaitSeconds: 0, temporalNamespace: loadStackEnv().TEMPORAL_NAMESPACE ?? 'default' },
  };
  app = createServer(deps);
  fixture = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 });
});

afterAll(async () => {
  await deps.db.$disconnect();
  await connection.close();
  deps.storage.destroy();
});

/** Runs the (ESM-only) OpenAPI validator in a child process: `{valid, errors}`. */
function validateOpenApi(doc: unknown): { valid: boolean; errors?: unknown } {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(input));
    process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors, version: validator.version }));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(doc), cwd: __dirname, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`validator failed: ${run.stderr}`);
  const result = JSON.parse(run.stdout) as { valid: boolean; errors?: unknown; version: string };
  expect(result.version).toBe('3.1');
  return result;
}

/** [METHOD, express path] of every route the app serves, read from its router stack. */
function registeredRoutes(express: Express): string[] {
  const found: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) if (method !== '_all') found.push(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (Array.isArray(layer.handle?.stack)) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((express as any).router.stack);
  return found.sort();
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

/** Asserts that the response's status is documented for the operation and that its body matches the documented schema. */
function expectDocumented(method: string, expressPath: string, res: request.Response) {
  const operation = document.paths[openapiPath(expressPath)]?.[method];
  expect(operation).toBeDefined();
  const documented = operation.responses[String(res.status)];
  if (!documented) throw new Error(`${method.toUpperCase()} ${expressPath} answered ${res.status}, documented: ${Object.keys(operation.responses).join(', ')}; body ${JSON.stringify(res.body)}`);
  const [mediaType, media] = Object.entries((documented.content ?? {}) as Record<string, { schema: Json }>)[0] ?? [];
  if (!mediaType) {
    expect(res.text ?? '').toBe('');
    return;
  }
  expect(res.headers['content-type']).toContain(mediaType);
  if (mediaType !== 'application/json') return;
  const validate = ajv.compile(media!.schema);
  if (!validate(res.body)) throw new Error(`${method.toUpperCase()} ${expressPath} ${res.status}: ${ajv.errorsText(validate.errors)}; body ${JSON.stringify(res.body)}`);
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document, and the validator rejects a broken one', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(validateOpenApi(document)).toMatchObject({ valid: true });
    const broken = structuredClone(document);
    broken.paths['/results/{id}'].get.parameters[0].in = 'body';
    expect(validateOpenApi(broken).valid).toBe(false);
  });

  it('documents exactly the routes the app serves', () => {
    const documented = Object.entries(document.paths as Record<string, Json>)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const served = registeredRoutes(app).map((r) => r.replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}'));
    expect(served.length).toBeGreaterThan(30);
    expect(documented).toEqual([...new Set(served)].sort());
  });

  it('gives every authenticated operation a 401 and every public one none, and every error the one error shape', () => {
    for (const [path, methods] of Object.entries(document.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(methods as Record<string, Json>)) {
        const isPublic = Array.isArray(op.security) && op.security.length === 0;
        expect([`${method} ${path}`, isPublic]).toEqual([`${method} ${path}`, ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'].includes(path)]);
        expect([`${method} ${path}`, '401' in op.responses]).toEqual([`${method} ${path}`, !isPublic]);
        for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
          if (Number(status) >= 400 && path !== '/readyz') expect(response.content['application/json'].schema.required).toEqual(['error']);
        }
      }
    }
  });
});

describe('serving', () => {
  it('serves the document at /openapi.json and a self-contained page at /docs, without a token', async () => {
    const json = await request(app).get('/openapi.json');
    expectDocumented('get', '/openapi.json', json);
    expect(json.body).toEqual(document);
    const docs = await request(app).get('/docs');
    expectDocumented('get', '/docs', docs);
    for (const path of Object.keys(document.paths)) expect(docs.text).toContain(path.replace(/&/g, '&amp;'));
    // Works offline: nothing is loaded from elsewhere.
    expect(docs.text).not.toMatch(/<script|<link|src=|https?:\/\/(?!json-schema\.org)/);
  });
});

describe('routes answer as documented', () => {
  it('GET /me: 200 with a token, 401 without', async () => {
    expectDocumented('get', '/me', await request(app).get('/me').set(bearer(fixture.users.student!.token)));
    expectDocumented('get', '/me', await request(app).get('/me'));
  });

  it('POST /users: 201, 400, 403, 409', async () => {
    const admin = bearer(fixture.users.admin!.token);
    const name = uniq('oa');
    const created = await request(app).post('/users').set(admin).send({ email: `${name}@example.test`, username: name });
    expect(created.status).toBe(201);
    expectDocumented('post', '/users', created);
    const invalid = await request(app).post('/users').set(admin).send({ email: 'nope', username: 'X' });
    expect(invalid.status).toBe(400);
    expectDocumented('post', '/users', invalid);
    const notAdmin = await request(app).post('/users').set(bearer(fixture.users.lecturer!.token)).send({ email: `${name}x@example.test`, username: `${name}x` });
    expect(notAdmin.status).toBe(403);
    expectDocumented('post', '/users', notAdmin);
    const taken = await request(app).post('/users').set(admin).send({ email: `${name}@example.test`, username: name });
    expect(taken.status).toBe(409);
    expectDocumented('post', '/users', taken);
  });

  it('GET /courses/{id}: 200 for a member, 404 for an outsider and for a non-UUID', async () => {
    const ok = await request(app).get(`/courses/${fixture.courseId}`).set(bearer(fixture.users.tutor!.token));
    expect(ok.status).toBe(200);
    expectDocumented('get', '/courses/:id', ok);
    for (const res of [
      await request(app).get(`/courses/${fixture.courseId}`).set(bearer(fixture.users.outsider!.token)),
      await request(app).get('/courses/not-a-uuid').set(bearer(fixture.users.admin!.token)),
    ]) {
      expect(res.status).toBe(404);
      expectDocumented('get', '/courses/:id', res);
    }
  });

  it('POST and GET /courses/{id}/contents: 201, 400, 403, 200 for staff and students', async () => {
    const path = '/courses/:id/contents';
    const url = `/courses/${fixture.courseId}/contents`;
    const created = await request(app).post(url).set(bearer(fixture.users.lecturer!.token)).send({ path: 'week1.hello', title: 'Hello', maxTestRuns: 2 });
    expect(created.status).toBe(201);
    expectDocumented('post', path, created);
    const invalid = await request(app).post(url).set(bearer(fixture.users.lecturer!.token)).send({ path: 'week 1', title: '' });
    expect(invalid.status).toBe(400);
    expectDocumented('post', path, invalid);
    const tooLow = await request(app).post(url).set(bearer(fixture.users.tutor!.token)).send({ path: 'week1.other', title: 'Other' });
    expect(tooLow.status).toBe(403);
    expectDocumented('post', path, tooLow);
    for (const role of ['lecturer', 'student']) {
      const list = await request(app).get(url).set(bearer(fixture.users[role]!.token));
      expect(list.status).toBe(200);
      expectDocumented('get', path, list);
    }
  });

  it('GET /workflows: 200, and 400 for an invalid query', async () => {
    const ok = await request(app).get('/workflows').query({ course_id: fixture.courseId, limit: 5 }).set(bearer(fixture.users.lecturer!.token));
    expect(ok.status).toBe(200);
    expectDocumented('get', '/workflows', ok);
    const invalid = await request(app).get('/workflows').query({ limit: 0, status: 'sleeping' }).set(bearer(fixture.users.lecturer!.token));
    expect(invalid.status).toBe(400);
    expectDocumented('get', '/workflows', invalid);
  });

  it('GET /results/{id} and /workflows/{id}/status: 404 for unknown ids; /examples: what students may read (nothing)', async () => {
    const admin = bearer(fixture.users.admin!.token);
    expectDocumented('get', '/results/:id', await request(app).get('/results/00000000-0000-4000-8000-000000000000').set(admin));
    expectDocumented('get', '/workflows/:id/status', await request(app).get(`/workflows/${uniq('nope-')}/status`).set(admin));
    const students = await request(app).get('/examples').set(bearer(fixture.users.student!.token));
    expect(students.status).toBe(200);
    expect(students.body.items).toEqual([]);
    expectDocumented('get', '/examples', students);
  });

  it('GET /healthz and /readyz', async () => {
    expectDocumented('get', '/healthz', await request(app).get('/healthz'));
    expectDocumented('get', '/readyz', await request(app).get('/readyz'));
  });
});
