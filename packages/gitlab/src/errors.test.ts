import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import {
  GITLAB_ERROR_TYPES,
  GITLAB_NON_RETRYABLE_TYPES,
  GitlabError,
  isConnectionReset,
  kindForStatus,
  parseRetryAfter,
  toApplicationFailureInfo,
  toGitlabError,
} from './errors';

const TOKEN = 'glpat-unit-secret-0123456789';

function requestError(status: number, body: unknown, headers: Record<string, string> = {}): GitbeakerRequestError {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const response = new Response(text, { status, headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers } });
  const request = new Request('http://gitlab.test/api/v4/groups', { headers: { 'PRIVATE-TOKEN': TOKEN } });
  const description = typeof body === 'string' ? body : String((body as { message?: unknown }).message);
  return new GitbeakerRequestError(description, { cause: { description, request, response } });
}

describe('kindForStatus', () => {
  it.each([
    [400, 'invalid'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not_found'],
    [408, 'transient'],
    [409, 'conflict'],
    [410, 'not_found'],
    [422, 'invalid'],
    [429, 'rate_limited'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [302, 'unknown'],
  ])('%i is %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1500);
  });
  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 31 Dec 2029 23:59:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-3')).toBeUndefined();
  });
});

describe('GitlabError', () => {
  it('derives retryable from the kind and keeps the type list consistent', () => {
    expect(GITLAB_NON_RETRYABLE_TYPES).toEqual(['GitlabAuthError', 'GitlabNotFoundError', 'GitlabConflictError', 'GitlabPendingDeletionError', 'GitlabArchivedError', 'GitlabInvalidError']);
    for (const kind of Object.keys(GITLAB_ERROR_TYPES) as Array<keyof typeof GITLAB_ERROR_TYPES>) {
      const e = new GitlabError({ operation: 'op', kind, status: null, detail: 'd' });
      expect(e.type).toBe(GITLAB_ERROR_TYPES[kind]);
      expect(e.retryable).toBe(!GITLAB_NON_RETRYABLE_TYPES.includes(e.type));
      expect(e).toBeInstanceOf(Error);
    }
  });

  it('keeps a path held by a group or project GitLab is destroying retryable for the activity retry', () => {
    const e = new GitlabError({ operation: 'forkProject s/u-1', kind: 'destroying', status: 409, detail: 'the path is still held by a project GitLab is destroying' });
    expect(e).toMatchObject({ type: 'GitlabDestroyingError', retryable: true });
    expect(toApplicationFailureInfo(e)).toMatchObject({ type: 'GitlabDestroyingError', nonRetryable: false });
  });

  it('names the operation in its message and serialises without a cause', () => {
    const e = new GitlabError({ operation: 'ensureGroup students', kind: 'invalid', status: 400, detail: 'POST groups answered 400: bad' });
    expect(e.message).toBe('ensureGroup students: POST groups answered 400: bad');
    expect(String(e)).toBe('GitlabError: ensureGroup students: POST groups answered 400: bad');
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ type: 'GitlabInvalidError', status: 400, retryable: false, operation: 'ensureGroup students' });
  });
});

describe('toGitlabError', () => {
  it('reads status, message and Retry-After from gitbeaker request errors and drops the request', () => {
    const e = toGitlabError(requestError(429, 'Retry later\n', { 'retry-after': '3' }), 'getGroup 1', [TOKEN]);
    expect(e).toMatchObject({ kind: 'rate_limited', status: 429, retryable: true, retryAfterMs: 3000, operation: 'getGroup 1' });
    expect(e.message).toContain('Retry later');
    const invalid = toGitlabError(requestError(400, { message: 'Failed to save group {:path=>["has already been taken"]}' }), 'ensureGroup g');
    expect(invalid).toMatchObject({ kind: 'invalid', status: 400, retryable: false });
    expect(invalid.gitlabMessage).toContain('has already been taken');
    expect(JSON.stringify(invalid)).not.toContain(TOKEN);
    expect(Object.values(invalid)).not.toContainEqual(expect.objectContaining({ request: expect.anything() }));
  });

  it('classifies auth, not found and server errors', () => {
    expect(toGitlabError(requestError(401, { message: '401 Unauthorized' }), 'x')).toMatchObject({ kind: 'auth', retryable: false });
    expect(toGitlabError(requestError(403, { message: '403 Forbidden' }), 'x')).toMatchObject({ kind: 'auth', retryable: false });
    expect(toGitlabError(requestError(404, { message: '404 Group Not Found' }), 'x')).toMatchObject({ kind: 'not_found', retryable: false });
    expect(toGitlabError(requestError(500, { message: '500 Internal Server Error' }), 'x')).toMatchObject({ kind: 'transient', retryable: true, status: 500 });
  });

  it('treats gitbeaker timeouts and exhausted retries as retryable', () => {
    expect(toGitlabError(new GitbeakerTimeoutError('Query timeout was reached'), 'x')).toMatchObject({ kind: 'transient', status: null });
    const retry = new GitbeakerRetryError('Could not successfully complete this request after 10 retries, last status code: 429. Check it.');
    expect(toGitlabError(retry, 'x')).toMatchObject({ kind: 'rate_limited', status: 429, retryable: true });
  });

  it('recognises network errors nested the way undici nests them', () => {
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(isConnectionReset(reset)).toBe(true);
    expect(toGitlabError(reset, 'getGroup 1')).toMatchObject({ kind: 'transient', status: null, retryable: true, code: 'UND_ERR_SOCKET' });
    const refused = new TypeError('fetch failed', {
      cause: new AggregateError([Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })], 'connect failed'),
    });
    expect(isConnectionReset(refused)).toBe(false);
    expect(toGitlabError(refused, 'x')).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED' });
    expect(toGitlabError(new Error('socket hang up'), 'x')).toMatchObject({ kind: 'transient', code: 'ECONNRESET' });
    expect(toGitlabError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'x')).toMatchObject({ kind: 'transient' });
  });

  it('calls anything else unknown (retryable) and removes the secrets from its text', () => {
    const e = toGitlabError(new Error(`boom with ${TOKEN} inside`), 'op', [TOKEN]);
    expect(e).toMatchObject({ kind: 'unknown', retryable: true });
    expect(e.message).not.toContain(TOKEN);
    expect(e.message).toContain('[REDACTED]');
  });

  it('re-labels a GitlabError with the caller operation', () => {
    const inner = new GitlabError({ operation: 'GET groups/:id', kind: 'not_found', status: 404, detail: 'GET groups/:id answered 404' });
    const outer = toGitlabError(inner, 'ensureGroup students');
    expect(outer.message).toBe('ensureGroup students: GET groups/:id answered 404');
    expect(outer).toMatchObject({ kind: 'not_found', status: 404 });
  });
});

describe('toApplicationFailureInfo', () => {
  it('gives type, message, nonRetryable and the server-requested delay', () => {
    const limited = new GitlabError({ operation: 'op', kind: 'rate_limited', status: 429, detail: 'd', retryAfterMs: 5000 });
    expect(toApplicationFailureInfo(limited)).toEqual({ type: 'GitlabRateLimitedError', message: 'op: d', nonRetryable: false, nextRetryDelayMs: 5000 });
    const auth = new GitlabError({ operation: 'op', kind: 'auth', status: 401, detail: 'd' });
    expect(toApplicationFailureInfo(auth)).toEqual({ type: 'GitlabAuthError', message: 'op: d', nonRetryable: true });
  });

  it('accepts foreign errors', () => {
    expect(toApplicationFailureInfo(new TypeError('x is undefined'))).toMatchObject({ type: 'GitlabUnknownError', nonRetryable: false });
  });
});
