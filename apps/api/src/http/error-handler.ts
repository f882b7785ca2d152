import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './errors';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
}

// PostgreSQL refuses NUL in text (SQLSTATE 22021); it is the client's input, not our failure.
function isNulByteError(error: unknown): boolean {
  return error instanceof Error && /invalid byte sequence for encoding "UTF8": 0x00|22021/.test(error.message);
}

// Temporal (gRPC UNAVAILABLE / DEADLINE_EXCEEDED) or PostgreSQL (connection refused, P1001) not answering.
function isDependencyUnavailable(error: unknown): boolean {
  const e = error as { name?: string; code?: unknown; message?: string; cause?: { code?: unknown } };
  if (e?.name === 'ServiceError' && (e.cause?.code === 14 || e.cause?.code === 4)) return true;
  if (e?.code === 14 || e?.code === 'P1001' || e?.code === 'ECONNREFUSED') return true;
  return typeof e?.message === 'string' && /ECONNREFUSED|Can't reach database server|Connection terminated/.test(e.message);
}

/** Every error leaves as `{error: {code, message, details}}`; internals are logged, never sent. */
export function errorHandler() {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    let http: HttpError;
    if (error instanceof HttpError) {
      http = error;
    } else if ((error as BodyParserError).type === 'entity.parse.failed') {
      http = new HttpError(400, 'bad_request', 'Malformed JSON in request body.');
    } else if ((error as BodyParserError).type === 'entity.too.large') {
      http = new HttpError(413, 'payload_too_large', 'Request body too large.');
    } else if ((error as BodyParserError).expose && typeof (error as BodyParserError).status === 'number') {
      const status = (error as BodyParserError).status!;
      http = new HttpError(status, status === 415 ? 'bad_request' : status === 413 ? 'payload_too_large' : 'bad_request', (error as Error).message);
    } else if (error instanceof URIError) {
      // A malformed percent-encoding in the path.
      http = new HttpError(400, 'bad_request', 'Malformed URL encoding in the request path.');
    } else if (isNulByteError(error)) {
      http = new HttpError(400, 'bad_request', 'Text must not contain NUL characters.');
    } else if (isDependencyUnavailable(error)) {
      (req.log ?? console).warn('dependency unavailable', { error: (error as Error).message });
      http = new HttpError(503, 'service_unavailable', 'A service the API depends on is unavailable; try again shortly.', { requestId: req.id });
    } else {
      (req.log ?? console).error('unhandled error', { error: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) });
      http = new HttpError(500, 'internal', 'Internal server error.', { requestId: req.id });
    }
    res.status(http.status).json(http.toBody());
  };
}

export function notFoundHandler() {
  return (req: Request, res: Response) => {
    res.status(404).json(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}.`).toBody());
  };
}
