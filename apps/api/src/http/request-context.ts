import { randomUUID } from 'node:crypto';
import type { Logger } from '@computor/logger';
import type { NextFunction, Request, Response } from 'express';

export interface AuthUser {
  id: string;
  email: string;
  username: string;
  isAdmin: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
      user?: AuthUser;
    }
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Request id (taken from X-Request-Id when well-formed), a child logger carrying it, an access log line. */
export function requestContext(logger: Logger, observe?: (req: Request, res: Response, seconds: number) => void) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    req.id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ requestId: req.id });
    res.setHeader('X-Request-Id', req.id);
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      observe?.(req, res, seconds);
      req.log.info('request', {
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        durationMs: Math.round(seconds * 1000),
        userId: req.user?.id,
      });
    });
    next();
  };
}
