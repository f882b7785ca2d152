import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';

export const GITLAB_ERROR_KINDS = ['transient', 'rate_limited', 'auth', 'not_found', 'conflict', 'pending_deletion', 'destroying', 'archived', 'invalid', 'unknown'] as const;
export type TGitlabErrorKind = (typeof GITLAB_ERROR_KINDS)[number];

/** Error type names, as Temporal retry policies and `ApplicationFailure.type` see them. */
export const GITLAB_ERROR_TYPES = {
  transient: 'GitlabTransientError',
  rate_limited: 'GitlabRateLimitedError',
  auth: 'GitlabAuthError',
  not_found: 'GitlabNotFoundError',
  conflict: 'GitlabConflictError',
  pending_deletion: 'GitlabPendingDeletionError',
  destroying: 'GitlabDestroyingError',
  archived: 'GitlabArchivedError',
  invalid: 'GitlabInvalidError',
  unknown: 'GitlabUnknownError',
} as const satisfies Record<TGitlabErrorKind, string>;

// Unknown failures stay retryable: Temporal's maximum attempts bound them, whereas a wrong
// "non-retryable" would fail a course setup over a hiccup nobody classified.
const RETRYABLE: Record<TGitlabErrorKind, boolean> = {
  transient: true,
  rate_limited: true,
  auth: false,
  not_found: false,
  conflict: false,
  // A group or project GitLab will delete later: adopting it would lose what we put there.
  pending_deletion: false,
  // GitLab destroys in a background job: the path is taken while nothing answers at it, until the job ends.
  destroying: true,
  // An archived project refuses commits until someone unarchives it: not a token problem, not transient.
  archived: false,
  invalid: false,
  unknown: true,
};

/** Type names to list in `nonRetryableErrorTypes` of activity retry policies. */
export const GITLAB_NON_RETRYABLE_TYPES: readonly string[] = Object.freeze(
  GITLAB_ERROR_KINDS.filter((k) => !RETRYABLE[k]).map((k) => GITLAB_ERROR_TYPES[k]),
);

export interface TGitlabErrorInit {
  operation: string;
  kind: TGitlabErrorKind;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** What went wrong, without the operation prefix. */
  detail: string;
  /** GitLab's `message`/`error` body, serialised. */
  gitlabMessage?: string;
  retryAfterMs?: number;
  /** Network error code such as ECONNRESET. */
  code?: string;
}

/** Every failure of the GitLab client. Holds no request, header or token: safe to log and serialise. */
export class GitlabError extends Error {
  readonly operation: string;
  readonly kind: TGitlabErrorKind;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly gitlabMessage?: string;
  readonly code?: string;
  readonly detail: string;

  constructor(init: TGitlabErrorInit) {
    super(`${init.operation}: ${init.detail}`);
    this.name = 'GitlabError';
    this.operation = init.operation;
    this.kind = init.kind;
    this.status = init.status;
    this.retryable = RETRYABLE[init.kind];
    this.detail = init.detail;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.gitlabMessage !== undefined) this.gitlabMessage = init.gitlabMessage;
    if (init.code !== undefined) this.code = init.code;
  }

  /** The Temporal failure type name of this error's kind. */
  get type(): string {
    return GITLAB_ERROR_TYPES[this.kind];
  }

  /** The same failure attributed to another operation (a client method rather than an HTTP route). */
  withOperation(operation: string, overrides: Partial<Omit<TGitlabErrorInit, 'operation'>> = {}): GitlabError {
    return new GitlabError({
      operation,
      kind: this.kind,
      status: this.status,
      detail: this.detail,
      gitlabMessage: this.gitlabMessage,
      retryAfterMs: this.retryAfterMs,
      code: this.code,
      ...overrides,
    });
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      type: this.type,
      message: this.message,
      operation: this.operation,
      kind: this.kind,
      status: this.status,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      code: this.code,
    };
  }
}

export function isGitlabError(err: unknown): err is GitlabError {
  return err instanceof GitlabError;
}

/** Kind of an HTTP error status. */
export function kindForStatus(status: number): TGitlabErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 408) return 'transient';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'transient';
  if (status >= 400) return 'invalid';
  return 'unknown';
}

/** Milliseconds from a Retry-After header (delay-seconds or HTTP-date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP-date always names the weekday; V8 would otherwise read "-3" as a year.
  if (!/^[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** GitLab's error body as one line: `message` (string, list or field map) or Grape's `error`. */
export function gitlabMessageOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim() || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const m = b.message ?? b.error;
  if (m === undefined || m === null) return undefined;
  return typeof m === 'string' ? m : JSON.stringify(m);
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const RESET_MESSAGES = /socket hang up|other side closed|ECONNRESET/i;

// Walks `cause` chains and AggregateError members (undici nests the socket error inside "fetch failed").
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || out.includes(e)) continue;
    out.push(e);
    const o = e as { cause?: unknown; errors?: unknown };
    if (o.cause !== undefined) queue.push(o.cause);
    if (Array.isArray(o.errors)) queue.push(...o.errors);
  }
  return out;
}

function networkCause(err: unknown): { code: string; message: string } | undefined {
  for (const e of causes(err)) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return { code, message: typeof message === 'string' ? message : code };
  }
  return undefined;
}

/** Whether a request failed because the connection was reset or closed under it. */
export function isConnectionReset(err: unknown): boolean {
  return causes(err).some((e) => {
    const { code, message } = e as { code?: unknown; message?: unknown };
    return (typeof code === 'string' && RESET_CODES.has(code)) || (typeof message === 'string' && RESET_MESSAGES.test(message));
  });
}

function isTimeout(err: unknown): boolean {
  return causes(err).some((e) => {
    const name = (e as { name?: unknown }).name;
    return name === 'TimeoutError' || e instanceof GitbeakerTimeoutError;
  });
}

/** Replaces every occurrence of the secrets in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('[REDACTED]');
  return out;
}

function fromStatus(operation: string, status: number, gitlabMessage: string | undefined, retryAfterMs: number | undefined, prefix: string): GitlabError {
  return new GitlabError({
    operation,
    kind: kindForStatus(status),
    status,
    detail: `${prefix}${status}${gitlabMessage ? `: ${gitlabMessage}` : ''}`,
    gitlabMessage,
    retryAfterMs,
  });
}

/**
 * Any thrown value as a GitlabError of `operation`, with the secrets removed from its text.
 * Understands this client's errors, gitbeaker's request, timeout and retry errors, undici's network
 * errors and abort/timeout DOMExceptions; anything else becomes kind `unknown`.
 */
export function toGitlabError(err: unknown, operation: string, secrets: readonly string[] = []): GitlabError {
  const clean = (s: string | undefined) => (s === undefined ? undefined : redact(s, secrets));
  if (err instanceof GitlabError) {
    return err.withOperation(operation, { detail: redact(err.detail, secrets), gitlabMessage: clean(err.gitlabMessage) });
  }
  if (err instanceof GitbeakerRequestError) {
    const response = err.cause?.response;
    const status = typeof response?.status === 'number' ? response.status : null;
    const gitlabMessage = clean(err.cause?.description ?? err.message);
    if (status !== null) {
      const retryAfterMs = parseRetryAfter(response?.headers?.get?.('retry-after'));
      return fromStatus(operation, status, gitlabMessage, retryAfterMs, 'GitLab answered ');
    }
  }
  if (err instanceof GitbeakerRetryError) {
    const last = /last status code: (\d+)/.exec(err.message);
    const status = last ? Number(last[1]) : null;
    return new GitlabError({ operation, kind: status === 429 ? 'rate_limited' : 'transient', status, detail: clean(err.message) as string });
  }
  if (isTimeout(err)) {
    return new GitlabError({ operation, kind: 'transient', status: null, detail: 'request timed out', code: 'ETIMEDOUT' });
  }
  const network = networkCause(err);
  if (network || isConnectionReset(err)) {
    const text = network?.message ?? (err instanceof Error ? err.message : String(err));
    const code = network?.code ?? 'ECONNRESET';
    return new GitlabError({ operation, kind: 'transient', status: null, detail: `network error ${code}: ${clean(text)}`, code });
  }
  if (err instanceof TypeError && err.message === 'fetch failed') {
    return new GitlabError({ operation, kind: 'transient', status: null, detail: 'network error: fetch failed' });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new GitlabError({ operation, kind: 'transient', status: null, detail: 'request aborted' });
  }
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new GitlabError({ operation, kind: 'unknown', status: null, detail: clean(text) as string });
}

/** Plain data for the activities package to turn into an ApplicationFailure. */
export interface TApplicationFailureInfo {
  type: string;
  message: string;
  nonRetryable: boolean;
  /** Set when GitLab said when to come back (429 Retry-After). */
  nextRetryDelayMs?: number;
}

export function toApplicationFailureInfo(err: unknown): TApplicationFailureInfo {
  const e = err instanceof GitlabError ? err : toGitlabError(err, 'gitlab');
  const info: TApplicationFailureInfo = { type: e.type, message: e.message, nonRetryable: !e.retryable };
  if (e.retryable && e.retryAfterMs !== undefined) info.nextRetryDelayMs = e.retryAfterMs;
  return info;
}
