import express, { type Express } from 'express';
import type { ApiDeps } from './deps';
import { authenticate } from './http/auth';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { createApiMetrics } from './http/metrics';
import { requestContext } from './http/request-context';
import { openapiRoutes } from './openapi/routes';
import { healthRoutes } from './routes/health';
import { courseRoutes } from './routes/courses';
import { contentRoutes } from './routes/contents';
import { exampleRoutes } from './routes/examples';
import { meRoutes } from './routes/me';
import { resourceRoutes } from './routes/resources';
import { resultRoutes } from './routes/results';
import { submissionRoutes } from './routes/submissions';
import { verificationRoutes } from './routes/verification';
import { workflowRoutes } from './routes/workflows';

/** Builds the Express app; no listening, no process-level state, so tests create as many as they like. */
export function createServer(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const metrics = createApiMetrics(deps.db, deps.temporal);
  app.use(requestContext(deps.logger, metrics.observe));
  app.use(healthRoutes(deps));
  // Unauthenticated like /healthz, for Prometheus; keep it off the public ingress.
  app.get('/metrics', metrics.handler);
  app.use(openapiRoutes());
  app.use(express.json({ limit: '1mb', strict: true }));
  app.use(authenticate(deps.db));
  app.use(meRoutes(deps));
  app.use(resourceRoutes(deps));
  app.use(courseRoutes(deps));
  app.use(exampleRoutes(deps));
  app.use(contentRoutes(deps));
  app.use(submissionRoutes(deps));
  app.use(resultRoutes(deps));
  app.use(verificationRoutes(deps));
  app.use(workflowRoutes(deps));
  app.use(notFoundHandler());
  app.use(errorHandler());
  return app;
}
