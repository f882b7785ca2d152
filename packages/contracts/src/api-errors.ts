import { z } from 'zod';

export const API_ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'gone',
  'payload_too_large',
  'unprocessable',
  'too_many_requests',
  'service_unavailable',
  'internal',
] as const;
export const ZApiErrorCode = z.enum(API_ERROR_CODES);

export const ZFieldIssue = z.object({ path: z.string(), message: z.string() });
export type TFieldIssue = z.infer<typeof ZFieldIssue>;

/** The one error shape every API error uses. */
export const ZApiError = z.object({
  error: z.object({
    code: ZApiErrorCode,
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type TApiError = z.infer<typeof ZApiError>;

/** Field paths of zod issues as `a.b[0].c`. */
export function issuesToFields(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): TFieldIssue[] {
  return issues.map((issue) => ({
    path: issue.path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), ''),
    message: issue.message,
  }));
}
