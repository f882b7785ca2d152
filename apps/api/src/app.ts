import express, { type Express } from 'express';
import type { ApiDeps } from './deps';
import { authenticate } from './http/auth';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { perUserRateLimit, streamSlots } from './http/limits';
import { createApiMetrics } from './http/metrics';
import { requestContext } from './http/request-context';
import { openapiRoutes } from './openapi/routes';
import { syncRunningRuns } from './services/workflows';
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
  const metrics = createApiMetrics(deps.db, {
    token: deps.config.metricsToken,
    refresh: () => syncRunningRuns(deps.db, deps.temporal),
    refreshSeconds: deps.config.metricsRefreshSeconds,
  });
  app.use(requestContext(deps.logger, metrics.observe));
  app.use(healthRoutes(deps));
  // For Prometheus, without an API token: behind METRICS_TOKEN when set, else keep it off the public ingress.
  app.get('/metrics', metrics.handler);
  app.use(openapiRoutes());
  app.use(express.json({ limit: '1mb', strict: true }));
  app.use(authenticate(deps.db));
  // Budgets per user, before any body is read or anything stored: uploads, and work started on the grading queue.
  const limits = deps.config.limits;
  const window = limits?.windowSeconds ?? 60;
  const uploads = perUserRateLimit('uploads', limits?.uploadsPerWindow, window);
  const testRuns = perUserRateLimit('test runs', limits?.testRunsPerWindow, window);
  app.post('/submissions', uploads);
  app.post('/examples', uploads);
  app.post('/submissions/:id/test', testRuns);
  app.post('/examples/:id/versions/:version/verify', testRuns);
  app.use(meRoutes(deps));
  app.use(resourceRoutes(deps));
  app.use(courseRoutes(deps));
  app.use(exampleRoutes(deps));
  app.use(contentRoutes(deps));
  app.use(submissionRoutes(deps));
  app.use(resultRoutes(deps));
  app.use(verificationRoutes(deps));
  app.use(workflowRoutes(deps, streamSlots(limits?.maxStreamsPerUser)));
  app.use(notFoundHandler());
  app.use(errorHandler());
  return app;
}
