import express, { type Express } from 'express';
import type { ApiDeps } from './deps';
import { authenticate } from './http/auth';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { perUserRateLimit, streamSlots } from './http/limits';
import { createApiMetrics } from './http/metrics';
import { registerRoutes } from './http/register';
import { requestContext } from './http/request-context';
import type { AppServices } from './http/route';
import { buildOpenApiDocument } from './openapi/document';
import { renderDocsPage } from './openapi/docs-page';
import { ROUTES } from './routes';
import { syncRunningRuns } from './services/workflows';

/** Builds the Express app; no listening, no process-level state, so tests create as many as they like. */
export function createServer(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const metrics = createApiMetrics(deps.db, {
    token: deps.config.metricsToken,
    refresh: () => syncRunningRuns(deps.db, deps.temporal),
    refreshSeconds: deps.config.metricsRefreshSeconds,
  });
  const limits = deps.config.limits;
  // Built once per app: the document depends on code only.
  const document = buildOpenApiDocument();
  const services: AppServices = { metrics, streams: streamSlots(limits?.maxStreamsPerUser), openapi: { document, page: renderDocsPage(document) } };
  // Budgets per user, before any body is read or anything stored: uploads, and work started on the grading queue.
  const window = limits?.windowSeconds ?? 60;
  const rateLimits = {
    uploads: perUserRateLimit('uploads', limits?.uploadsPerWindow, window),
    testRuns: perUserRateLimit('test runs', limits?.testRunsPerWindow, window),
  };
  app.use(requestContext(deps.logger, metrics.observe));
  // Public routes (health, metrics, the document) take no token; everything after authenticates.
  registerRoutes(app, ROUTES.filter((r) => r.public), deps, services, rateLimits);
  app.use(express.json({ limit: '1mb', strict: true }));
  app.use(authenticate(deps.db));
  registerRoutes(app, ROUTES.filter((r) => !r.public), deps, services, rateLimits);
  app.use(notFoundHandler());
  app.use(errorHandler());
  return app;
}
