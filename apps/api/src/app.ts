import express, { type Express } from 'express';
import type { ApiDeps } from './deps';
import { authenticate } from './http/auth';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { requestContext } from './http/request-context';
import { healthRoutes } from './routes/health';
import { courseRoutes } from './routes/courses';
import { meRoutes } from './routes/me';
import { resourceRoutes } from './routes/resources';
import { workflowRoutes } from './routes/workflows';

/** Builds the Express app; no listening, no process-level state, so tests create as many as they like. */
export function createServer(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestContext(deps.logger));
  app.use(healthRoutes(deps));
  app.use(express.json({ limit: '1mb', strict: true }));
  app.use(authenticate(deps.db));
  app.use(meRoutes(deps));
  app.use(resourceRoutes(deps));
  app.use(courseRoutes(deps));
  app.use(workflowRoutes(deps));
  app.use(notFoundHandler());
  app.use(errorHandler());
  return app;
}
