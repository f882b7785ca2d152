import type { ApiRoute } from '../http/route';

/** The course gradebook (issue 14.6): being built. */
export const gradebookRoutes: ApiRoute[] = [];
