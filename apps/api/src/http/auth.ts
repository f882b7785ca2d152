import { findUserByToken, type Db } from '@computor/db';
import type { NextFunction, Request, Response } from 'express';
import { forbidden, unauthorized } from './errors';

/** Bearer API-token authentication: 401 unless `Authorization: Bearer <token>` names a live token. */
export function authenticate(db: Db) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.header('authorization');
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw unauthorized();
    const user = await findUserByToken(db, match[1]!);
    if (!user) throw unauthorized('The bearer token is unknown, revoked or expired.');
    req.user = { id: user.id, email: user.email, username: user.username, isAdmin: user.isAdmin };
    next();
  };
}

export function requireAdmin(req: Request): void {
  if (!req.user?.isAdmin) throw forbidden('This action requires an administrator.');
}
