import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createApiToken, createDb, findUserByToken, type Db } from '@computor/db';
import type { TSeedEnv } from '../env';
import { requiredFlag, type ParsedArgs } from './args';

interface SeedUser {
  email: string;
  username: string;
  isAdmin?: boolean;
}

type Credentials = Record<string, { email: string; username: string; token: string }>;
type CredentialsFile = Credentials & { demo?: { courseId: string } };

const SEED_USERS: Record<string, SeedUser> = {
  admin: { email: 'admin@computor.local', username: 'admin', isAdmin: true },
  lecturer: { email: 'lecturer@computor.local', username: 'demo-lecturer' },
  student: { email: 'student@computor.local', username: 'demo-student' },
};

/** Calls the GitLab (emulator) REST API as its admin; local development only. */
async function gitlabCall(env: TSeedEnv, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${env.GITLAB_URL}/api/v4${path}`, {
    method,
    headers: { 'PRIVATE-TOKEN': env.GITLAB_TOKEN!, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** The demo's parent group and GitLab users in the emulator, then its organization, course and members. */
async function seedDemoCourse(env: TSeedEnv, db: Db, out: (line: string) => void): Promise<{ courseId: string } | null> {
  if (!env.GITLAB_URL || !env.GITLAB_TOKEN) {
    out('no GITLAB_URL/GITLAB_TOKEN: skipping the demo course (start the stack with the GitLab emulator)');
    return null;
  }
  let parent = await gitlabCall(env, 'GET', '/groups/computor-demo');
  if (parent.status === 404) parent = await gitlabCall(env, 'POST', '/groups', { name: 'Computor demo', path: 'computor-demo', visibility: 'private' });
  const parentGroupId = (parent.json as { id?: number } | null)?.id;
  if (!parentGroupId) throw new Error(`could not create the demo parent group in GitLab: ${parent.status} ${JSON.stringify(parent.json)}`);
  for (const seed of [SEED_USERS.lecturer!, SEED_USERS.student!]) {
    const found = await gitlabCall(env, 'GET', `/users?username=${encodeURIComponent(seed.username)}`);
    if (Array.isArray(found.json) && found.json.length) continue;
    await gitlabCall(env, 'POST', '/users', { username: seed.username, name: seed.username, email: seed.email, password: 'not-used-locally', skip_confirmation: true });
  }
  const org = await db.organization.upsert({
    where: { path: 'demo' },
    create: { path: 'demo', title: 'Demo University', gitlabUrl: env.GITLAB_URL, gitlabParentGroupId: parentGroupId },
    update: {},
  });
  const family = await db.courseFamily.upsert({
    where: { organizationId_path: { organizationId: org.id, path: 'prog' } },
    create: { organizationId: org.id, path: 'prog', title: 'Programming' },
    update: {},
  });
  const course = await db.course.upsert({
    where: { courseFamilyId_path: { courseFamilyId: family.id, path: '2026ws' } },
    create: { courseFamilyId: family.id, path: '2026ws', title: 'Programming 2026 (demo)' },
    update: {},
  });
  const lecturer = await db.user.findUniqueOrThrow({ where: { email: SEED_USERS.lecturer!.email } });
  await db.courseMember.upsert({
    where: { courseId_userId: { courseId: course.id, userId: lecturer.id } },
    create: { courseId: course.id, userId: lecturer.id, role: 'lecturer' },
    update: {},
  });
  return { courseId: course.id };
}

async function ensureUserWithToken(db: Db, seed: SeedUser, previous?: string): Promise<string> {
  const user = await db.user.upsert({
    where: { email: seed.email },
    update: {},
    create: { email: seed.email, username: seed.username, isAdmin: seed.isAdmin ?? false },
  });
  if (previous && (await findUserByToken(db, previous))?.id === user.id) return previous;
  return (await createApiToken(db, { userId: user.id, name: 'local-dev' })).token;
}

/**
 * `computor dev seed --out <file>`: local development only. Ensures the seed users exist and writes
 * their API tokens to <file> (mode 600), reusing tokens that are still valid.
 */
export async function devSeedCommand(env: TSeedEnv, args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const file = requiredFlag(args, 'out');
  const previous: CredentialsFile = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CredentialsFile) : ({} as CredentialsFile);
  const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 1 });
  try {
    const credentials: Credentials = {};
    for (const [key, seed] of Object.entries(SEED_USERS)) {
      const token = await ensureUserWithToken(db, seed, previous[key]?.token);
      credentials[key] = { email: seed.email, username: seed.username, token };
    }
    const demo = await seedDemoCourse(env, db, out);
    writeFileSync(file, `${JSON.stringify({ ...credentials, ...(demo ? { demo } : {}) }, null, 2)}\n`, { mode: 0o600 });
    for (const [key, c] of Object.entries(credentials)) out(`${key.padEnd(10)} ${c.email.padEnd(28)} token ${c.token}`);
    return 0;
  } finally {
    await db.$disconnect();
  }
}
