import path from 'node:path';
import type { Db } from '@computor/db';
import { createApiToken } from '@computor/db';
import { spawnProcess, type SpawnedProcess } from './process';
import { repoRoot, stackEnvPath } from './stack-env';
import { uniq } from './services';

export interface WorkerProcessOptions {
  queues?: string[];
  identity?: string;
  /** Temporal namespace (from stackTemporal({ isolated: true })). */
  namespace?: string;
  /** Extra environment (e.g. GITLAB_TOKEN of an in-process emulator). */
  env?: Record<string, string>;
  workflowsPath?: string;
}

/** Starts the real worker CLI (`computor worker start`) against the stack; resolves once it polls. */
export async function startWorkerProcess(options: WorkerProcessOptions = {}): Promise<SpawnedProcess & { identity: string }> {
  const identity = options.identity ?? uniq('worker-');
  const args = [path.join(repoRoot(), 'apps/worker/dist/cli.js'), 'worker', 'start'];
  for (const q of options.queues ?? ['computor-tasks']) args.push('--queue', q);
  if (options.workflowsPath) args.push('--workflows', options.workflowsPath);
  const proc = spawnProcess(process.execPath, args, {
    // Canaries (graded at every testing worker's start) are tested where they are the subject
    // (grader languages/health, worker.int.test); elsewhere they would only cost CPU.
    env: { PATH: process.env.PATH, COMPUTOR_ENV_FILE: stackEnvPath(), LOG_FORMAT: 'json', LOG_LEVEL: process.env.TEST_WORKER_LOG_LEVEL ?? 'info', WORKER_IDENTITY: identity, GRADER_CANARY: 'off', ...(options.namespace ? { TEMPORAL_NAMESPACE: options.namespace } : {}), ...options.env },
  });
  await proc.waitFor(/workers polling/, 60_000);
  return Object.assign(proc, { identity });
}

export type Role = 'owner' | 'maintainer' | 'lecturer' | 'tutor' | 'student';

export interface CourseFixture {
  organizationId: string;
  familyId: string;
  courseId: string;
  paths: { organization: string; family: string; course: string };
  users: Record<string, { id: string; username: string; token: string; memberId?: string }>;
}

/**
 * An organization -> family -> course in the database with one user per given role (members of the
 * course) plus an admin and an outsider, each with an API token.
 */
export async function createCourseFixture(
  db: Db,
  options: { gitlabUrl: string; parentGroupId: number; roles?: Role[]; tokenRef?: string },
): Promise<CourseFixture> {
  const tag = uniq('');
  const org = await db.organization.create({
    data: { path: `org-${tag}`, title: `Org ${tag}`, gitlabUrl: options.gitlabUrl, gitlabParentGroupId: options.parentGroupId, gitlabTokenRef: options.tokenRef },
  });
  const family = await db.courseFamily.create({ data: { organizationId: org.id, path: 'prog', title: 'Programming' } });
  const course = await db.course.create({ data: { courseFamilyId: family.id, path: '2026ws', title: 'Programming 2026' } });
  const users: CourseFixture['users'] = {};
  const make = async (key: string, isAdmin = false) => {
    const username = `${key}-${tag}`;
    const user = await db.user.create({ data: { email: `${username}@example.test`, username, isAdmin } });
    const { token } = await createApiToken(db, { userId: user.id, name: 'test' });
    users[key] = { id: user.id, username, token };
    return user;
  };
  await make('admin', true);
  await make('outsider');
  for (const role of options.roles ?? ['lecturer', 'tutor', 'student']) {
    const user = await make(role);
    const member = await db.courseMember.create({ data: { courseId: course.id, userId: user.id, role } });
    users[role]!.memberId = member.id;
  }
  return { organizationId: org.id, familyId: family.id, courseId: course.id, paths: { organization: org.path, family: family.path, course: course.path }, users };
}
