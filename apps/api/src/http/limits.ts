import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { HttpError } from './errors';

/** Per-user abuse limits; a limit left out (or 0) is off. */
export interface ApiLimits {
  /** Length of the rate-limit window, seconds. */
  windowSeconds: number;
  /** Uploads (hand-ins and example archives) per user and window. */
  uploadsPerWindow?: number;
  /** Test runs and verifications started per user and window. */
  testRunsPerWindow?: number;
  /** Open event streams and waiting result requests per user at once. */
  maxStreamsPerUser?: number;
}

const tooMany = (message: string, details: Record<string, unknown>) => new HttpError(429, 'too_many_requests', message, details);

/**
 * A fixed-window request budget per authenticated user (mounted after `authenticate`), through
 * express-rate-limit with its in-memory store: the budget is per API process. Beyond it: 429 with
 * `Retry-After` (seconds until the window resets) and `RateLimit` headers.
 */
export function perUserRateLimit(what: string, limit: number | undefined, windowSeconds: number): RequestHandler {
  if (!limit) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: windowSeconds * 1000,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: what,
    keyGenerator: (req) => req.user!.id,
    // Keyed by user, never by address: the checks of client addresses and proxies do not apply.
    validate: { ip: false, trustProxy: false, xForwardedForHeader: false, forwardedHeader: false },
    handler: (req: Request, _res: Response, next: NextFunction) => {
      // The body (an upload, perhaps) is not read: drain it so the connection stays usable.
      req.resume();
      next(tooMany(`Too many ${what}: at most ${limit} per ${windowSeconds} s per user; retry later.`, { limit, windowSeconds, limitOf: what }));
    },
  });
}

/**
 * Counts the long-lived requests (event streams, waiting result requests) each user holds open.
 * `acquire` answers 429 beyond the cap; the slot is released when the response ends or the client
 * goes away, whichever comes first.
 */
export function streamSlots(maxPerUser: number | undefined) {
  const open = new Map<string, number>();
  return {
    open: (userId: string) => open.get(userId) ?? 0,
    acquire(req: Request, res: Response): void {
      if (!maxPerUser) return;
      const userId = req.user!.id;
      const held = open.get(userId) ?? 0;
      if (held >= maxPerUser) {
        res.setHeader('Retry-After', '5');
        throw tooMany(`Too many open streams: at most ${maxPerUser} event streams and waiting result requests per user at once.`, { maxStreamsPerUser: maxPerUser, open: held });
      }
      open.set(userId, held + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const now = (open.get(userId) ?? 1) - 1;
        if (now > 0) open.set(userId, now);
        else open.delete(userId);
      };
      res.on('close', release);
      res.on('finish', release);
    },
  };
}
