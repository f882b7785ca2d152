import type { ApiRoute } from '../http/route';
import { openapiRoutes } from '../openapi/routes';
import { contentRoutes } from './contents';
import { courseRoutes } from './courses';
import { deadlineRoutes } from './deadlines';
import { documentRoutes } from './documents';
import { exampleRoutes } from './examples';
import { gradebookRoutes } from './gradebook';
import { healthRoutes } from './health';
import { hookRoutes } from './hooks';
import { meRoutes } from './me';
import { provisioningRoutes } from './provisioning';
import { regradeRoutes } from './regrades';
import { resourceRoutes } from './resources';
import { resultRoutes } from './results';
import { submissionRoutes } from './submissions';
import { tutorTestRoutes } from './tutor-tests';
import { usageRoutes } from './usage';
import { verificationRoutes } from './verification';
import { workflowRoutes } from './workflows';

/**
 * Every route of the API. The app mounts these (http/register.ts), the OpenAPI document describes
 * these (openapi/document.ts), and the permission matrix calls these: nothing else serves a route.
 */
export const ROUTES: readonly ApiRoute[] = [
  ...healthRoutes,
  ...openapiRoutes,
  ...meRoutes,
  ...resourceRoutes,
  ...courseRoutes,
  ...provisioningRoutes,
  ...contentRoutes,
  ...deadlineRoutes,
  ...gradebookRoutes,
  ...exampleRoutes,
  ...verificationRoutes,
  ...submissionRoutes,
  ...resultRoutes,
  ...tutorTestRoutes,
  ...regradeRoutes,
  ...usageRoutes,
  ...documentRoutes,
  ...workflowRoutes,
  ...hookRoutes,
];
