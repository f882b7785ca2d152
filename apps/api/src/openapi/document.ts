import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig, type ZodRequestBody } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errors, type ApiRoute, type Body, type Responses } from '../http/route';
import { ROUTES } from '../routes';

/** Express `/a/:id/b` -> OpenAPI `/a/{id}/b`. */
export const openapiPath = (expressPath: string) => expressPath.replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}');

const RATE_LIMITED = 'Too many of these requests: the per-user rate limit (`details.limit` per `details.windowSeconds`); `Retry-After` says when to retry.';

function requestBody(body: Body): ZodRequestBody {
  if (body.kind === 'multipart') {
    const file = z.string().meta({ contentMediaType: 'application/zip', description: body.file.description });
    const json = body.json ? { 'application/json': { schema: body.json } } : {};
    return { required: true, description: body.description, content: { 'multipart/form-data': { schema: body.fields.extend({ [body.file.name]: file }) }, ...json } };
  }
  const yaml = body.yaml ? { 'application/yaml': { schema: { type: 'string' as const, description: 'The document in YAML.' } } } : {};
  return { required: body.required, ...(body.description ? { description: body.description } : {}), content: { 'application/json': { schema: body.schema }, ...yaml } };
}

function responses(route: ApiRoute): Responses {
  // Every authenticated route may also meet a malformed path or NUL text (400) and an unavailable
  // database or Temporal (503), besides its own answers; a rate-limited one the limit's 429.
  const all: Responses = {
    ...(route.public ? {} : errors({ 400: 'Invalid input, a malformed path encoding, or text containing NUL.', 401: undefined, 503: undefined })),
    ...(route.limit ? errors({ 429: RATE_LIMITED }) : {}),
    ...route.responses,
  };
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => Number(a) - Number(b)));
}

function operation(route: ApiRoute): RouteConfig {
  return {
    method: route.method,
    path: openapiPath(route.path),
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    // A webhook authenticates by its own header (the course's GitLab hook token), not by an API token.
    ...(route.ownJsonBody ? { security: [{ gitlabHookToken: [] }] } : route.public ? { security: [] } : {}),
    request: {
      ...(route.params ? { params: z.object(route.params) } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.body ? { body: requestBody(route.body) } : {}),
      ...(route.ownJsonBody ? { body: { required: true, description: route.ownJsonBody.description, content: { 'application/json': { schema: route.ownJsonBody.schema } } } } : {}),
    },
    responses: responses(route),
  };
}

// Response bodies may grow fields: clients must ignore unknown ones, so the document does not forbid them.
function allowExtraProperties(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowExtraProperties);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = allowExtraProperties(value);
  }
  return out;
}

type Json = Record<string, unknown>;

// zod checks these formats with its own patterns, stricter than the JSON Schema formats (a UUID's
// version and variant digits, the e-mail address it accepts): the document states them, so that
// what clients and the fuzzer take as valid is what the API accepts.
const FORMAT_PATTERNS: Record<string, string> = {
  uuid: (z.toJSONSchema(z.uuid()) as Json).pattern as string,
  email: (z.toJSONSchema(z.email()) as Json).pattern as string,
  'date-time': (z.toJSONSchema(z.iso.datetime()) as Json).pattern as string,
};

function withFormatPatterns(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withFormatPatterns);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withFormatPatterns(value)]));
  const pattern = typeof out.format === 'string' ? FORMAT_PATTERNS[out.format] : undefined;
  return pattern && out.pattern === undefined ? { ...out, pattern } : out;
}

// A coerced number accepts null (Number(null) is 0), so the converter calls it nullable; a query
// string carries no JSON null.
function withoutNull(parameter: Json): Json {
  const schema = parameter.schema as Json | undefined;
  if (!Array.isArray(schema?.type)) return parameter;
  const type = (schema.type as string[]).filter((t) => t !== 'null');
  return { ...parameter, schema: { ...schema, type: type.length === 1 ? type[0] : type } };
}

/** The OpenAPI 3.1 document of the API, generated from the route declarations (`ROUTES`) by zod-to-openapi. */
export function buildOpenApiDocument(options: { version?: string; serverUrl?: string } = {}, routes: readonly ApiRoute[] = ROUTES): Json {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'An API token (`computor token create`).' });
  registry.registerComponent('securitySchemes', 'gitlabHookToken', { type: 'apiKey', in: 'header', name: 'X-Gitlab-Token', description: "The course's GitLab push-hook secret, registered on each student repository's hook." });
  for (const route of routes) registry.registerPath(operation(route));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Computor API',
      version: options.version ?? '0.1.0',
      description:
        'Orchestration backend of Computor: GitLab provisioning, assignment release and sandboxed grading, run as Temporal workflows. ' +
        'Every error uses one shape: `{"error": {"code", "message", "details"}}`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearerAuth: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
  }) as unknown as Json & { paths: Record<string, Record<string, Json>> };
  document.jsonSchemaDialect = 'https://json-schema.org/draft/2020-12/schema';
  for (const methods of Object.values(document.paths)) {
    for (const op of Object.values(methods)) {
      op.responses = withFormatPatterns(allowExtraProperties(op.responses));
      if (op.requestBody) op.requestBody = withFormatPatterns(op.requestBody);
      // Path ids are documented as a format only: anything else answers 404, not 400.
      if (Array.isArray(op.parameters)) op.parameters = (op.parameters as Json[]).map((p) => withoutNull(p.in === 'path' ? p : (withFormatPatterns(p) as Json)));
    }
  }
  // Nothing is registered as a component but the security scheme.
  delete document.webhooks;
  return { ...document, components: { securitySchemes: (document.components as Json).securitySchemes } };
}
