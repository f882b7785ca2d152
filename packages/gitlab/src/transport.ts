import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';

/**
 * HTTP for the requester on node:http with keep-alive agents, in place of the global fetch. Why:
 * undici's fetch costs about 0.35 ms more CPU per request (web streams, abort signals, its
 * own parser), on the worker's event loop; in a profile of the client and the emulator in one
 * process it was the largest single cost. Answers that arrive together (ten slots released at
 * once) wait on each other for it, so the limiter's slots idle for milliseconds between
 * GitLab's answer and the next request. Errors keep the shapes errors.ts classifies: a socket error's `code` (ECONNRESET, ...),
 * a `TimeoutError` past the deadline, an `AbortError` when the caller's signal aborts.
 */
export interface TTransportRequest {
  method: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  /** From the call to the end of the body (or of the stream, for `stream()`). */
  timeoutMs: number;
}

export interface TTransportResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null; has(name: string): boolean; entries(): IterableIterator<[string, string]> };
  /** The whole body (the deadline still applies). */
  buffer(): Promise<Buffer>;
  text(): Promise<string>;
  /** The body as a web stream, read by the caller (the deadline still applies). */
  stream(): ReadableStream<Uint8Array>;
}

const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

function bodyOf(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError(`GitLab request body of an unsupported type (${Object.prototype.toString.call(body)})`);
}

function headersOf(res: http.IncomingMessage): TTransportResponse['headers'] {
  const raw = res.headers;
  const value = (name: string): string | null => {
    const v = raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  };
  return {
    get: value,
    has: (name) => raw[name.toLowerCase()] !== undefined,
    *entries() {
      for (const name of Object.keys(raw)) yield [name, value(name) as string];
    },
  };
}

export function send(url: URL, r: TTransportRequest): Promise<TTransportResponse> {
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new TypeError(`GitLab URL with an unsupported protocol: ${url.protocol}`));
  let payload: string | Buffer | undefined;
  try {
    payload = bodyOf(r.body);
  } catch (e) {
    return Promise.reject(e as Error);
  }
  const headers: Record<string, string | number> = { ...r.headers };
  if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);
  return new Promise<TTransportResponse>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, { method: r.method, headers, agent });
    let failure: Error | undefined;
    const fail = (e: Error) => {
      failure ??= e;
      req.destroy(failure);
    };
    const timer = setTimeout(() => fail(named('TimeoutError', `GitLab request timed out after ${r.timeoutMs} ms`)), r.timeoutMs);
    const onAbort = () => fail(named('AbortError', 'GitLab request aborted'));
    if (r.signal?.aborted) onAbort();
    r.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      r.signal?.removeEventListener('abort', onAbort);
    };
    req.on('error', (e) => {
      done();
      reject(failure ?? e);
    });
    req.on('response', (res) => {
      res.on('close', done);
      // A failure after the answer began (timeout, abort, reset) ends the body with that failure.
      res.on('error', () => undefined);
      let consumed = false;
      const take = () => {
        if (consumed) throw new TypeError('GitLab response body read twice');
        consumed = true;
      };
      // async: reading twice rejects, like every other failure of the body.
      const buffer = async () => {
        take();
        return new Promise<Buffer>((ok, ko) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => ok(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
          res.on('error', (e) => ko(failure ?? e));
          res.on('aborted', () => ko(failure ?? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
        });
      };
      const status = res.statusCode ?? 0;
      resolve({
        status,
        ok: status >= 200 && status < 300,
        headers: headersOf(res),
        buffer,
        text: async () => (await buffer()).toString('utf8'),
        stream: () => {
          take();
          return Readable.toWeb(res) as ReadableStream<Uint8Array>;
        },
      });
    });
    if (payload !== undefined) req.end(payload);
    else req.end();
  });
}
