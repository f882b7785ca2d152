import { Router } from 'express';
import { buildOpenApiDocument } from './document';
import { renderDocsPage } from './docs-page';

/** Public: `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (the same as a self-contained HTML page). */
export function openapiRoutes(): Router {
  // Built once per app: the document depends on code only.
  const document = buildOpenApiDocument();
  const page = renderDocsPage(document);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'").send(page);
  });
  return router;
}
