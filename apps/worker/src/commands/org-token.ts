import { encryptSecret } from '@computor/config';
import { createDb } from '@computor/db';
import type { TSecretsEnv } from '../env';
import { requiredFlag, UsageError, type ParsedArgs } from './args';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/**
 * `computor org set-token --org <path>`: reads a GitLab token from standard input (never from an
 * argument, which would land in shell history and `ps`) and stores it encrypted with TOKEN_SECRET.
 */
export async function setOrganizationTokenCommand(env: TSecretsEnv, args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const path = requiredFlag(args, 'org');
  const token = await readStdin();
  if (!token) throw new UsageError('no token on standard input');
  const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: 1 });
  try {
    const org = await db.organization.findUnique({ where: { path } });
    if (!org) {
      process.stderr.write(`No organization with path ${path}\n`);
      return 1;
    }
    await db.organization.update({ where: { id: org.id }, data: { gitlabTokenEncrypted: encryptSecret(token, env.TOKEN_SECRET), gitlabTokenRef: null } });
    out(`stored an encrypted GitLab token for organization ${path}`);
    return 0;
  } finally {
    await db.$disconnect();
  }
}
