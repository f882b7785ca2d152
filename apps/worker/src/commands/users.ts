import { createApiToken, createDb } from '@computor/db';
import type { TDbOnlyEnv } from '../env';
import { flag, requiredFlag, UsageError, type ParsedArgs } from './args';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;

/** `computor user create --email <e> --username <u> [--given <g>] [--family <f>] [--admin]` */
export async function createUserCommand(env: TDbOnlyEnv, args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const email = requiredFlag(args, 'email').toLowerCase();
  const username = requiredFlag(args, 'username').toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new UsageError('--email must be an e-mail address');
  if (!USERNAME.test(username)) throw new UsageError('--username must be 2-63 chars of a-z, 0-9, ".", "_", "-"');
  const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 1 });
  try {
    const user = await db.user.upsert({
      where: { email },
      update: { isAdmin: flag(args, 'admin') === 'true' ? true : undefined },
      create: { email, username, givenName: flag(args, 'given'), familyName: flag(args, 'family'), isAdmin: flag(args, 'admin') === 'true' },
    });
    out(JSON.stringify({ id: user.id, email: user.email, username: user.username, isAdmin: user.isAdmin }));
    return 0;
  } finally {
    await db.$disconnect();
  }
}

/** `computor token create --user <email> [--name <n>] [--expires-days <d>]`: prints the token once. */
export async function createTokenCommand(env: TDbOnlyEnv, args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const email = requiredFlag(args, 'user').toLowerCase();
  const days = flag(args, 'expires-days');
  if (days !== undefined && !/^\d+$/.test(days)) throw new UsageError('--expires-days must be a whole number');
  const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 1 });
  try {
    const user = await db.user.findUnique({ where: { email } });
    if (!user) {
      process.stderr.write(`No user with e-mail ${email}. Create one with: computor user create --email ${email} --username <name>\n`);
      return 1;
    }
    const { token } = await createApiToken(db, {
      userId: user.id,
      name: flag(args, 'name') ?? 'cli',
      expiresAt: days ? new Date(Date.now() + Number(days) * 86_400_000) : undefined,
    });
    out(token);
    return 0;
  } finally {
    await db.$disconnect();
  }
}
