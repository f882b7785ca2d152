/** An error that becomes an HTTP response with GitLab's JSON error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : JSON.stringify(body));
  }
}

// GitLab's `not_found!(resource)` helper: "404 <Resource> Not Found".
export function notFound(resource?: string): ApiError {
  return new ApiError(404, { message: resource ? `404 ${resource} Not Found` : '404 Not Found' });
}

// GitLab rescues ActiveRecord::RecordNotFound (find_by!) with this lower-case body.
export function recordNotFound(): ApiError {
  return new ApiError(404, { message: '404 Not found' });
}

export function unauthorized(): ApiError {
  return new ApiError(401, { message: '401 Unauthorized' });
}

export function forbidden(): ApiError {
  return new ApiError(403, { message: '403 Forbidden' });
}

export function badRequest(message: unknown): ApiError {
  return new ApiError(400, { message });
}

export function conflict(message: unknown): ApiError {
  return new ApiError(409, { message });
}

// Grape parameter validation failures use the `error` key, not `message`.
export function paramError(error: string): ApiError {
  return new ApiError(400, { error });
}

export function routeNotFound(): ApiError {
  return new ApiError(404, { error: '404 Not Found' });
}
