import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from './generated/prisma/client';

const TOKEN_PREFIX = 'ctk_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates an API token for a user; the plaintext is returned once and only its hash is stored. */
export async function createApiToken(
  db: PrismaClient,
  input: { userId: string; name: string; expiresAt?: Date },
): Promise<{ id: string; token: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await db.apiToken.create({
    data: { userId: input.userId, name: input.name, tokenHash: hashToken(token), prefix: token.slice(0, 10), expiresAt: input.expiresAt },
  });
  return { id: row.id, token };
}

/** The user a bearer token belongs to, or null when it is unknown, revoked or expired. */
export async function findUserByToken(db: PrismaClient, token: string) {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt < new Date())) return null;
  // Best effort and coarse: one write per token per minute at most.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  }
  return row.user;
}
