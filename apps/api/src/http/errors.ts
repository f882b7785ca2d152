import type { TApiError, TFieldIssue } from '@computor/contracts';
import { issuesToFields } from '@computor/contracts';
import type { ZodError } from 'zod';

type Code = TApiError['error']['code'];

/** An error with an HTTP status and the API's error code; everything else becomes a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): TApiError {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

export const badRequest = (message: string, fields?: TFieldIssue[]) =>
  new HttpError(400, 'validation_failed', message, fields ? { fields } : undefined);
export const unauthorized = (message = 'A valid bearer token is required.') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message = 'You do not have the role this action requires.') => new HttpError(403, 'forbidden', message);
export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found.`);
export const conflict = (message: string, details?: unknown) => new HttpError(409, 'conflict', message, details);
/** Existed, and expired: not found again (a tutor test run past its time-to-live). */
export const gone = (message: string, details?: unknown) => new HttpError(410, 'gone', message, details);
export const payloadTooLarge = (message: string, details?: unknown) => new HttpError(413, 'payload_too_large', message, details);
export const unprocessable = (message: string, details?: unknown) => new HttpError(422, 'unprocessable', message, details);

export function fromZod(error: ZodError, where: string): HttpError {
  return badRequest(`Invalid ${where}.`, issuesToFields(error.issues));
}
