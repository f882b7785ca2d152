import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRateLimiter } from './rate-limiter';
import { createLimitedRequesterFn, normalizeRoute } from './requester';

describe('normalizeRoute', () => {
  it.each([
    ['groups', 'groups'],
    ['groups/42', 'groups/:id'],
    ['groups/org%2Ffamily%2Fcourse', 'groups/:id'],
    ['groups/7/members/12', 'groups/:id/members/:id'],
    ['projects/7/members/all/12', 'projects/:id/members/all/:id'],
    ['projects/org%2Fc%2Fstudent-template/fork', 'projects/:id/fork'],
    ['projects/7/protected_branches/main', 'projects/:id/protected_branches/:id'],
    ['projects/7/repository/files/src%2Fmain.py', 'projects/:id/repository/files/:id'],
    ['projects/7/repository/files/src%2Fmain.py/raw', 'projects/:id/repository/files/:id/raw'],
    ['projects/7/repository/commits', 'projects/:id/repository/commits'],
    ['projects/7/repository/branches/feature%2Fx', 'projects/:id/repository/branches/:id'],
    ['users?username=alice', 'users'],
  ])('%s -> %s', (endpoint, route) => {
    expect(normalizeRoute(endpoint)).toBe(route);
  });
});

describe('createLimitedRequesterFn', () => {
  it('frees its limiter slot when the answer begins, not when the body has been read', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/slow') {
        res.flushHeaders();
        setTimeout(() => res.end('{"slow":true}'), 300);
      } else res.end('{"fast":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const prefixUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const limiter = createRateLimiter({ requestsPerSecond: Infinity, maxConcurrent: 1 });
      const requester = createLimitedRequesterFn({ limiter, timeoutMs: 5_000, secrets: [] })({ url: prefixUrl, headers: {}, authHeaders: {} } as never);
      const done: string[] = [];
      const slow = requester.get('slow', {}).then(() => void done.push('slow'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const fast = requester.get('fast', {}).then(() => void done.push('fast'));
      await Promise.all([slow, fast]);
      // One slot: the second request went while the first one's body was still on its way.
      expect(done).toEqual(['fast', 'slow']);
      expect(limiter.stats()).toMatchObject({ requests: 2, inFlight: 0 });
    } finally {
      server.close();
    }
  });
});
