import type { ResponseConfig, ZodMediaTypeObject } from '@asteasolutions/zod-to-openapi';
import { ZApiError, ZUuid, type TCourseRole } from '@computor/contracts';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import type { requireCourseRole } from '../services/access';
import type { streamSlots } from './limits';
import type { createApiMetrics } from './metrics';
import type { AuthUser } from './request-context';

// One declaration per route (`route({...})` in src/routes/): method, path, request schemas,
// responses, who may call it (`access`, asserted by permission-matrix.int.test.ts) and the handler.
// Express registration and request validation (http/register.ts), the OpenAPI document
// (openapi/document.ts) and the permission matrix's route list all read the same declarations.

export type Method = 'get' | 'post' | 'put' | 'delete';

// ---------- access rows ----------

/** The callers of the permission matrix, each relative to the resource's course ("the course"). */
export const CALLERS = ['anonymous', 'student', 'tutor', 'lecturer', 'otherLecturer', 'admin'] as const;
export type TCaller = (typeof CALLERS)[number];
/**
 * The status each caller gets from the route in the permission-matrix scenario
 * (`permission-matrix.int.test.ts`): the route's own course A has a student, a tutor and a
 * lecturer; `otherLecturer` is a lecturer of another course only; the admin is an administrator.
 */
export type TAccess = Record<TCaller, number>;

/** Access of an authenticated route: anonymous callers get 401. */
export const access = (a: Omit<TAccess, 'anonymous'>): TAccess => ({ anonymous: 401, ...a });
export const PUBLIC: TAccess = { anonymous: 200, student: 200, tutor: 200, lecturer: 200, otherLecturer: 200, admin: 200 };
export const ANY_USER = access({ student: 200, tutor: 200, lecturer: 200, otherLecturer: 200, admin: 200 });
export const adminOnly = (ok: number) => access({ student: 403, tutor: 403, lecturer: 403, otherLecturer: 403, admin: ok });
/** Lecturer or higher of the course; outsiders do not learn it exists. */
export const lecturerOfCourse = (ok: number) => access({ student: 403, tutor: 403, lecturer: ok, otherLecturer: 404, admin: ok });
/** Members of the course (students included). */
export const membersOfCourse = (ok: number) => access({ student: ok, tutor: ok, lecturer: ok, otherLecturer: 404, admin: ok });
/** Tutor or higher of the course (students: 404, the resource is not theirs to see). */
export const staffOfCourse = (ok: number) => access({ student: 404, tutor: ok, lecturer: ok, otherLecturer: 404, admin: ok });

/**
 * Checks run before the body is validated: `'admin'` (403 otherwise), or a role in the course of
 * the path parameter `id` (404 when it does not exist or the caller is not a member, 403 when the
 * role is too low); the handler then gets `course` and `role`. Other rules live in the handler.
 */
export type Authorize = 'admin' | { courseRole: TCourseRole };

// ---------- path parameters ----------

const NOT_FOUND_AS = new WeakMap<z.ZodType, string>();

/** A UUID path parameter; anything else answers 404 `<what> not found.` (never 400). */
export function uuidParam(what: string): z.ZodType<string> {
  const schema = ZUuid.meta({ param: { description: 'A UUID; anything else answers 404.' } });
  NOT_FOUND_AS.set(schema, what);
  return schema;
}
/** What a path parameter's failure is reported as not found, if it is one of `uuidParam`. */
export const notFoundAs = (schema: z.ZodType) => NOT_FOUND_AS.get(schema);
/** A path parameter taken as given (an id or a name). */
export const textParam = z.string().min(1);

// ---------- request bodies ----------

/** Media types read as YAML by a body declared with `yaml: true`. */
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'];

export interface JsonBody<S extends z.ZodType = z.ZodType> {
  kind: 'json';
  schema: S;
  /** false: an absent body is taken as `{}`. */
  required: boolean;
  /** Names the input in the 400: `Invalid <label>.` */
  label: string;
  description?: string;
  /** Also accepted as YAML (`YAML_TYPES`), parsed before validation. */
  yaml?: true;
  /** For a union: the option the body claims, validated alone so that errors name its fields. */
  claims?: (raw: unknown) => z.ZodType;
}

export const jsonBody = <S extends z.ZodType>(schema: S, options: Partial<Omit<JsonBody<S>, 'kind' | 'schema'>> = {}): JsonBody<S> => ({
  kind: 'json',
  schema,
  required: true,
  label: 'request body',
  ...options,
});

/**
 * A multipart form with text fields and exactly one file, read by the handler when it chooses
 * (`readForm()`: streamed through busboy, capped at API_MAX_UPLOAD_BYTES, fields validated).
 */
export interface MultipartBody<F extends z.ZodObject = z.ZodObject, J extends z.ZodType | undefined = z.ZodType | undefined> {
  kind: 'multipart';
  fields: F;
  file: { name: string; description: string };
  /** What the form must hold, for the 400 on a body that is not multipart. */
  expected: string;
  description: string;
  /** Also accepted instead of the form: an `application/json` body of this schema (the handler's `json`). */
  json?: J;
}

export const multipartBody = <F extends z.ZodObject, J extends z.ZodType | undefined = undefined>(body: Omit<MultipartBody<F, J>, 'kind'>): MultipartBody<F, J> => ({ kind: 'multipart', ...body });

export type Body = JsonBody | MultipartBody;

// ---------- responses ----------

export type Responses = Record<number, ResponseConfig>;
/** A zod schema (converted by zod-to-openapi), or a JSON Schema as is. */
type MediaSchema = NonNullable<ZodMediaTypeObject['schema']> | Record<string, unknown>;

export const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: `details.fields` names each offending field (`path`, `message`).',
  401: 'No bearer token, or one that is unknown, revoked or expired.',
  403: 'The caller\'s role is too low for this action.',
  404: 'Not found, or not visible to the caller (the API does not reveal existence).',
  409: 'Conflicts with the current state.',
  410: 'Existed, and expired.',
  413: 'The request body exceeds the configured limit.',
  422: 'Well-formed, but refused on its content; `details` says why.',
  429: 'A limit is used up; `details` says which.',
  503: 'A dependency is unavailable.',
};

export const content = (description: string, contentType: string, schema: MediaSchema): ResponseConfig => ({
  description,
  content: { [contentType]: { schema: schema as NonNullable<ZodMediaTypeObject['schema']> } },
});
export const json = (description: string, schema: MediaSchema) => content(description, 'application/json', schema);

/** Error responses in the one error shape, each with the route-specific reason when given. */
export function errors(spec: Partial<Record<number, string>>): Responses {
  const out: Responses = {};
  for (const [status, why] of Object.entries(spec)) out[Number(status)] = json(why ?? ERROR_TEXT[Number(status)]!, ZApiError);
  return out;
}

// ---------- the declaration ----------

/** Per-app objects handlers may use besides `deps`. */
export interface AppServices {
  streams: ReturnType<typeof streamSlots>;
  metrics: ReturnType<typeof createApiMetrics>;
  /** The OpenAPI document of these routes and its HTML page. */
  openapi: { document: object; page: string };
}

type Params = Record<string, z.ZodType>;
type Empty = Record<never, never>;

type BodyContext<B> =
  B extends JsonBody<infer S>
    ? { body: z.output<S> }
    : B extends MultipartBody<infer F, infer J>
      ? { readForm(): Promise<{ fields: z.output<F>; archive: Buffer }>; json: J extends z.ZodType ? z.output<J> | null : null }
      : Empty;
type AuthContext<A> = A extends { courseRole: TCourseRole } ? Awaited<ReturnType<typeof requireCourseRole>> : Empty;

export type RouteContext<P extends Params, Q, B, A> = {
  req: Request;
  res: Response;
  deps: ApiDeps;
  app: AppServices;
  /** The authenticated caller (undefined on public routes). */
  user: AuthUser;
  params: { [K in keyof P]: z.output<P[K]> };
  query: Q extends z.ZodObject ? z.output<Q> : Empty;
} & BodyContext<B> &
  AuthContext<A>;

export interface RouteSpec<P extends Params, Q extends z.ZodObject | undefined, B extends Body | undefined, A extends Authorize | undefined> {
  method: Method;
  /** The Express path (`/courses/:id`); every `:name` needs its schema in `params`. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** No bearer token (health, metrics, the document itself): mounted before authentication. */
  public?: true;
  /** Who may call it: the status each caller gets, asserted against the real API. Required. */
  access: TAccess;
  authorize?: A;
  /**
   * A public route that authenticates the body's sender itself (a webhook): its JSON body, up to
   * this size, is parsed into `req.body` and validated by the handler after that check.
   */
  ownJsonBody?: { limit: string; description: string; schema: z.ZodType };
  /** A per-user rate limit (API_UPLOADS_PER_WINDOW, API_TEST_RUNS_PER_WINDOW), checked before the body is read. */
  limit?: 'uploads' | 'testRuns';
  params?: P;
  /** Query parameters (a strict object: unknown ones are refused). */
  query?: Q;
  body?: B;
  /** Answers of the route itself; 400, 401 and 503 of authenticated routes and the rate limit's 429 are added. */
  responses: Responses;
  handler(ctx: RouteContext<P, Q, B, A>): unknown;
}

export type ApiRoute = RouteSpec<Params, z.ZodObject | undefined, Body | undefined, Authorize | undefined>;

/** Declares a route; the handler's `params`, `query`, `body` are typed by the declared schemas. */
export function route<P extends Params = Empty, Q extends z.ZodObject | undefined = undefined, B extends Body | undefined = undefined, A extends Authorize | undefined = undefined>(
  spec: RouteSpec<P, Q, B, A>,
): ApiRoute {
  return spec as unknown as ApiRoute;
}

/** The `:name` and wildcard `*name` parameters of an Express path. */
export const pathParams = (path: string) => path.match(/[:*]([A-Za-z0-9_]+)/g)?.map((m) => m.slice(1)) ?? [];
