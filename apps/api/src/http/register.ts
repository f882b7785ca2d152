import express, { type Express, type RequestHandler } from 'express';
import YAML from 'yaml';
import type { z } from 'zod';
import type { ApiDeps } from '../deps';
import { requireCourseRole } from '../services/access';
import { requireAdmin } from './auth';
import { issuesToFields } from '@computor/contracts';
import { badRequest, fromZod, notFound } from './errors';
import { notFoundAs, pathParams, YAML_TYPES, type ApiRoute, type AppServices, type JsonBody, type MultipartBody } from './route';
import { readUploadForm } from './upload';

/** Parses request input with a schema; 400 with `details.fields` naming each offending field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where = 'request body'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZod(result.error, where);
  return result.data;
}

function parseParams(route: ApiRoute, raw: Record<string, string | string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(route.params ?? {})) {
    // A wildcard (`*path`) arrives as its decoded segments; its schema sees them joined.
    const value = raw[name];
    const result = schema.safeParse(Array.isArray(value) ? value.join('/') : value);
    if (!result.success) {
      const what = notFoundAs(schema);
      // An id that cannot name anything names nothing: 404, like an unknown one.
      if (what) throw notFound(what);
      // Named by the parameter: a path parameter's schema sees a bare string.
      throw badRequest('Invalid path.', issuesToFields(result.error.issues.map((issue) => ({ ...issue, path: [name, ...issue.path] }))));
    }
    out[name] = result.data;
  }
  return out;
}

function parseJson(body: JsonBody, raw: unknown): unknown {
  let input = raw === undefined && !body.required ? {} : raw;
  if (body.yaml && typeof input === 'string') {
    try {
      input = YAML.parse(input);
    } catch (error) {
      throw badRequest(`Malformed YAML: ${(error as Error).message}`);
    }
  }
  return parse(body.claims?.(input) ?? body.schema, input, body.label);
}

async function readForm(deps: ApiDeps, body: MultipartBody, req: express.Request) {
  const { fields, archive } = await readUploadForm(req, { maxBytes: deps.config.maxUploadBytes, fields: Object.keys(body.fields.shape), expected: body.expected, file: body.file.name });
  return { fields: parse(body.fields, fields, 'form'), archive };
}

/** Refuses declarations that could not be served or documented as declared. */
export function checkRoutes(routes: readonly ApiRoute[]): void {
  const seen = new Set<string>();
  for (const r of routes) {
    for (const key of [`${r.method} ${r.path}`, r.operationId]) {
      if (seen.has(key)) throw new Error(`route declared twice: ${key}`);
      seen.add(key);
    }
    const declared = Object.keys(r.params ?? {}).sort().join(',');
    if (pathParams(r.path).sort().join(',') !== declared) throw new Error(`${r.operationId}: the path parameters of ${r.path} and its params (${declared}) differ`);
    if (typeof r.authorize === 'object' && !r.params?.id) throw new Error(`${r.operationId}: a course-role rule needs the course id as path parameter "id"`);
    if (r.ownJsonBody && (!r.public || r.body)) throw new Error(`${r.operationId}: only a public route without a declared body reads its own JSON body`);
    if (r.public && (r.authorize || r.body || r.limit)) throw new Error(`${r.operationId}: a public route takes no authorisation rule, body or rate limit`);
  }
}

/**
 * Mounts each route on the app: its rate limit, then params (UUIDs: 404), query (400), the
 * authorisation rule, the body (400), then the handler. Mount public routes before authentication.
 */
export function registerRoutes(app: Express, routes: readonly ApiRoute[], deps: ApiDeps, services: AppServices, limits: Record<NonNullable<ApiRoute['limit']>, RequestHandler>): void {
  checkRoutes(routes);
  for (const r of routes) {
    const chain: RequestHandler[] = [];
    if (r.limit) chain.push(limits[r.limit]);
    if (r.body?.kind === 'json' && r.body.yaml) chain.push(express.text({ type: YAML_TYPES, limit: '1mb' }));
    if (r.ownJsonBody) chain.push(express.json({ limit: r.ownJsonBody.limit, strict: true }));
    chain.push(async (req, res) => {
      const params = parseParams(r, req.params as Record<string, string | string[]>);
      const query = r.query ? parse(r.query, req.query, 'query') : {};
      const ctx: Record<string, unknown> = { req, res, deps, app: services, user: req.user, params, query };
      if (r.authorize === 'admin') requireAdmin(req);
      else if (r.authorize) Object.assign(ctx, await requireCourseRole(deps.db, req.user!, params.id as string, r.authorize.courseRole));
      const body = r.body;
      if (body?.kind === 'json') ctx.body = parseJson(body, req.body);
      else if (body?.kind === 'multipart') {
        // A JSON alternative is read when the request says it is JSON; the form otherwise.
        ctx.json = body.json && req.is('application/json') ? parse(body.json, req.body, 'request body') : null;
        ctx.readForm = () => readForm(deps, body, req);
      }
      await r.handler(ctx as Parameters<ApiRoute['handler']>[0]);
    });
    app[r.method](r.path, ...chain);
  }
}
