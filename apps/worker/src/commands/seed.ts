import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createApiToken, createDb, findUserByToken, type Db } from '@computor/db';
import type { TDbOnlyEnv } from '../env';
import { requiredFlag, type ParsedArgs } from './args';

interface SeedUser {
  email: string;
  username: string;
  isAdmin?: boolean;
}

type Credentials = Record<string, { email: string; username: string; token: string }>;

const SEED_USERS: Record<string, SeedUser> = {
  admin: { email: 'admin@computor.local', username: 'admin', isAdmin: true },
};

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
export async function devSeedCommand(env: TDbOnlyEnv, args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const file = requiredFlag(args, 'out');
  const previous: Credentials = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Credentials) : {};
  const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 1 });
  try {
    const credentials: Credentials = {};
    for (const [key, seed] of Object.entries(SEED_USERS)) {
      const token = await ensureUserWithToken(db, seed, previous[key]?.token);
      credentials[key] = { email: seed.email, username: seed.username, token };
    }
    writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    for (const [key, c] of Object.entries(credentials)) out(`${key.padEnd(10)} ${c.email.padEnd(28)} token ${c.token}`);
    return 0;
  } finally {
    await db.$disconnect();
  }
}
