import { PUBLIC, content, json, route } from '../http/route';

/** Public: `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (the same as a self-contained HTML page). */
export const openapiRoutes = [
  route({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapiDocument',
    access: PUBLIC,
    tag: 'docs',
    summary: 'This OpenAPI 3.1 document',
    public: true,
    responses: { 200: json('The document.', { type: 'object' }) },
    handler: ({ res, app }) => {
      res.json(app.openapi.document);
    },
  }),
  route({
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    access: PUBLIC,
    tag: 'docs',
    summary: 'Human-readable API documentation (self-contained HTML)',
    public: true,
    responses: { 200: content('HTML page.', 'text/html', { type: 'string' }) },
    handler: ({ res, app }) => {
      res.type('html').set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'").send(app.openapi.page);
    },
  }),
];
