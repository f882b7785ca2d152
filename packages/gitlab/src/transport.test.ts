import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from './transport';

// A plain node:http server: what the transport does with sockets, bodies, deadlines and aborts.
let server: http.Server;
let base: URL;
const sockets = new Set<unknown>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    sockets.add(req.socket);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/echo') {
        res.writeHead(201, { 'content-type': 'application/json', 'x-many': ['a', 'b'] });
        res.end(JSON.stringify({ method: req.method, length: req.headers['content-length'], body }));
      } else if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
      } else if (req.url === '/stall-body') {
        // Headers at once, the body never ends.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000).unref();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const at = (path: string) => new URL(path, base);

describe('send', () => {
  it('sends the body with its byte length and reads status, headers and body', async () => {
    const r = await send(at('/echo'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"ü"}', timeoutMs: 5000 });
    expect(r).toMatchObject({ status: 201, ok: true });
    expect(r.headers.get('Content-Type')).toBe('application/json');
    expect(r.headers.get('x-many')).toBe('a, b');
    expect(r.headers.has('x-missing')).toBe(false);
    expect(JSON.parse(await r.text())).toEqual({ method: 'POST', length: '13', body: '{"name":"ü"}' });
    await expect(r.text()).rejects.toThrow('read twice');
    await expect(r.buffer()).rejects.toThrow('read twice');
  });

  it('keeps the connection alive once a body (even an empty one) has been read', async () => {
    sockets.clear();
    for (let i = 0; i < 5; i++) {
      const r = await send(at(i % 2 ? '/empty' : '/echo'), { method: 'GET', timeoutMs: 5000 });
      await r.buffer();
    }
    expect(sockets.size).toBe(1);
  });

  it('fails with a TimeoutError when the answer is late, and when its body stalls', async () => {
    await expect(send(at('/slow'), { method: 'GET', timeoutMs: 100 })).rejects.toMatchObject({ name: 'TimeoutError' });
    const r = await send(at('/stall-body'), { method: 'GET', timeoutMs: 200 });
    expect(r.status).toBe(200);
    await expect(r.text()).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it("fails with an AbortError when the caller's signal aborts, before or during the request", async () => {
    await expect(send(at('/echo'), { method: 'GET', timeoutMs: 5000, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(send(at('/slow'), { method: 'GET', timeoutMs: 5000, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses a body it cannot send as bytes, and a protocol other than http(s)', async () => {
    await expect(send(at('/echo'), { method: 'POST', body: new FormData(), timeoutMs: 1000 })).rejects.toThrow('unsupported type');
    await expect(send(new URL('ftp://127.0.0.1/x'), { method: 'GET', timeoutMs: 1000 })).rejects.toThrow('unsupported protocol');
  });
});
