import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './errors';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
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
