import { Gitlab } from '@gitbeaker/rest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'hooks-test-token';
const DEV = 'hooks-dev-token';
let emu: TGitlabEmulator;
let api: InstanceType<typeof Gitlab>;
let projectId: number;

interface TReceived {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  at: number;
}

/** A webhook receiver on a free port that answers `status` (changeable) and records requests. */
async function receiver(initialStatus = 200): Promise<{ url: string; received: TReceived[]; status: { code: number }; close: () => Promise<void> }> {
  const received: TReceived[] = [];
  const status = { code: initialStatus };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>, at: Date.now() });
      res.writeHead(status.code, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    status,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  return fetch(`${emu.url}/api/v4${path}`, {
    ...init,
    headers: { 'PRIVATE-TOKEN': init.token ?? TOKEN, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
}

async function addHook(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await call(`/projects/${projectId}/hooks`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as Record<string, unknown>;
}

function commit(branch: string, actions: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}, token = TOKEN) {
  return call(`/projects/${projectId}/repository/commits`, { method: 'POST', token, body: JSON.stringify({ branch, commit_message: `change ${branch}`, actions, ...extra }) });
}

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN, tokens: [{ token: DEV, username: 'dev', admin: false }] });
  api = new Gitlab({ host: emu.url, token: TOKEN });
});
afterAll(() => emu.close());
beforeEach(async () => {
  emu.reset();
  emu.configure({ hooks: { deliveryDelayMs: 0, deliveryJitterMs: 0, timeoutMs: 10_000, autoDisabling: true, resendRateLimitPerMinute: 5 } });
  const group = await api.Groups.create('Course', 'course');
  projectId = (await api.Projects.create({ name: 'student', namespaceId: group.id, initializeWithReadme: true })).id;
});

describe('project hooks API', () => {
  it('creates, reads, lists, edits and deletes hooks with the documented entity; the token never comes back', async () => {
    const created = await addHook({ url: 'http://127.0.0.1:9/a', token: 's3cret', name: 'grader', push_events_branch_filter: 'main' });
    expect(created).toMatchObject({
      url: 'http://127.0.0.1:9/a',
      name: 'grader',
      description: null,
      project_id: projectId,
      push_events: true,
      tag_push_events: false,
      merge_requests_events: false,
      push_events_branch_filter: 'main',
      branch_filter_strategy: 'wildcard',
      enable_ssl_verification: true,
      alert_status: 'executable',
      disabled_until: null,
      custom_headers: [],
    });
    expect(JSON.stringify(created)).not.toContain('s3cret');
    const id = created.id as number;
    expect(await (await call(`/projects/${projectId}/hooks/${id}`)).json()).toEqual(created);

    await addHook({ url: 'http://127.0.0.1:9/b' });
    const list = await call(`/projects/${projectId}/hooks?per_page=1`);
    expect(list.headers.get('x-total')).toBe('2');
    expect(((await list.json()) as unknown[]).length).toBe(1);
    expect((await api.ProjectHooks.all(projectId)).map((h) => h.url)).toEqual(['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b']);

    const edited = await call(`/projects/${projectId}/hooks/${id}`, { method: 'PUT', body: JSON.stringify({ url: 'http://127.0.0.1:9/a', push_events: false, custom_headers: [{ key: 'X-Extra', value: 'v' }] }) });
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({ push_events: false, name: 'grader', custom_headers: [{ key: 'X-Extra' }] });

    expect((await call(`/projects/${projectId}/hooks/${id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await call(`/projects/${projectId}/hooks/${id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ message: '404 Not found' });
    expect((await call(`/projects/${projectId}/hooks/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('validates as GitLab: url missing (400), invalid url or branch filter (422), bad strategy (400)', async () => {
    const missing = await call(`/projects/${projectId}/hooks`, { method: 'POST', body: JSON.stringify({ push_events: true }) });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'url is missing' });
    const badUrl = await call(`/projects/${projectId}/hooks`, { method: 'POST', body: JSON.stringify({ url: 'ftp://x' }) });
    expect(badUrl.status).toBe(422);
    expect(await badUrl.json()).toEqual({ message: 'Invalid url given' });
    const badFilter = await call(`/projects/${projectId}/hooks`, { method: 'POST', body: JSON.stringify({ url: 'http://x.test/', push_events_branch_filter: 'a..b' }) });
    expect(badFilter.status).toBe(422);
    expect(await badFilter.json()).toEqual({ message: 'Invalid branch filter given' });
    const badRegex = await call(`/projects/${projectId}/hooks`, { method: 'POST', body: JSON.stringify({ url: 'http://x.test/', branch_filter_strategy: 'regex', push_events_branch_filter: '(' }) });
    expect(badRegex.status).toBe(422);
    const badStrategy = await call(`/projects/${projectId}/hooks`, { method: 'POST', body: JSON.stringify({ url: 'http://x.test/', branch_filter_strategy: 'glob' }) });
    expect(badStrategy.status).toBe(400);
    expect(await badStrategy.json()).toEqual({ error: 'branch_filter_strategy does not have a valid value' });
  });

  it('requires Maintainer: Developers get 403, users who cannot see the project 404', async () => {
    const dev = emu.state().users.find((u) => u.username === 'dev')?.id as number;
    expect((await call(`/projects/${projectId}/hooks`, { token: DEV })).status).toBe(404);
    await api.ProjectMembers.add(projectId, 30, { userId: dev });
    const forbidden = await call(`/projects/${projectId}/hooks`, { token: DEV });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({ message: '403 Forbidden' });
    await api.ProjectMembers.edit(projectId, dev, 40);
    expect((await call(`/projects/${projectId}/hooks`, { token: DEV })).status).toBe(200);
  });

  it('drops the secret token when the URL changes without a new one', async () => {
    const rx = await receiver();
    try {
      const hook = await addHook({ url: 'http://127.0.0.1:9/old', token: 'tok' });
      await call(`/projects/${projectId}/hooks/${hook.id as number}`, { method: 'PUT', body: JSON.stringify({ url: rx.url }) });
      await commit('main', [{ action: 'create', file_path: 'a.txt', content: 'a' }]);
      await emu.waitForDeliveries(1);
      expect(rx.received[0]?.headers['x-gitlab-token']).toBeUndefined();
    } finally {
      await rx.close();
    }
  });
});

describe('push event delivery', () => {
  it('delivers one Push Hook per commit after the response, with GitLab headers and payload', async () => {
    const rx = await receiver();
    try {
      const hook = await addHook({ url: rx.url, token: 'hook-secret', custom_headers: [{ key: 'X-Custom', value: 'c' }] });
      const dev = emu.state().users.find((u) => u.username === 'dev')?.id as number;
      await api.ProjectMembers.add(projectId, 40, { userId: dev });
      const before = emu.state().projects[0]?.branches.main?.commit_id;
      await commit('main', [{ action: 'create', file_path: 'src/new.py', content: 'x' }], {}, DEV);
      const res = await commit(
        'main',
        [
          { action: 'update', file_path: 'src/new.py', content: 'y' },
          { action: 'delete', file_path: 'README.md' },
          { action: 'create', file_path: 'docs/a.md', content: 'a' },
        ],
        {},
        DEV,
      );
      const after = ((await res.json()) as { id: string }).id;
      const deliveries = await emu.waitForDeliveries(2);
      await emu.waitForIdle();
      expect(rx.received).toHaveLength(2);
      expect(deliveries.map((d) => d.hookId)).toEqual([hook.id, hook.id]);

      const { headers, body } = rx.received[1] as TReceived;
      expect(headers).toMatchObject({
        'content-type': 'application/json',
        'x-gitlab-event': 'Push Hook',
        'x-gitlab-token': 'hook-secret',
        'x-gitlab-instance': emu.url,
        'x-custom': 'c',
      });
      expect(headers['user-agent']).toMatch(/^GitLab\/\d+\.\d+\.\d+/);
      for (const h of ['x-gitlab-webhook-uuid', 'x-gitlab-event-uuid', 'idempotency-key']) expect(headers[h]).toMatch(/^[0-9a-f-]{36}$/);
      expect(rx.received[0]?.headers['idempotency-key']).not.toBe(headers['idempotency-key']);
      expect(deliveries[1]).toMatchObject({ idempotencyKey: headers['idempotency-key'], eventUuid: headers['x-gitlab-event-uuid'], statusCode: 200, ok: true, after });

      const first = (rx.received[0] as TReceived).body;
      expect(first.before).toBe(before);
      expect(body).toMatchObject({
        object_kind: 'push',
        event_name: 'push',
        before: first.after,
        after,
        ref: 'refs/heads/main',
        ref_protected: true,
        checkout_sha: after,
        user_id: dev,
        user_name: 'dev',
        user_username: 'dev',
        project_id: projectId,
        project: { id: projectId, name: 'student', path_with_namespace: 'course/student', default_branch: 'main', visibility_level: 0, namespace: 'Course' },
        repository: { name: 'student', homepage: `${emu.url}/course/student`, git_http_url: `${emu.url}/course/student.git` },
        total_commits_count: 1,
      });
      expect(body.commits).toEqual([
        {
          id: after,
          message: 'change main',
          title: 'change main',
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/) as unknown as string,
          url: `${emu.url}/course/student/-/commit/${after}`,
          author: { name: 'dev', email: 'dev@example.com' },
          added: ['docs/a.md'],
          modified: ['src/new.py'],
          removed: ['README.md'],
        },
      ]);
      expect(emu.stats().hooks).toMatchObject({ triggered: 2, delivered: 2, succeeded: 2, failed: 0 });
    } finally {
      await rx.close();
    }
  });

  it('does not hold the API response for the receiver, and keeps the configured delay', async () => {
    const rx = await receiver();
    try {
      await addHook({ url: rx.url });
      emu.configure({ hooks: { deliveryDelayMs: 300 } });
      const t0 = Date.now();
      const res = await commit('main', [{ action: 'create', file_path: 'slow.txt', content: 's' }]);
      expect(res.status).toBe(201);
      expect(Date.now() - t0).toBeLessThan(250);
      expect(rx.received).toHaveLength(0);
      const [d] = await emu.waitForDeliveries(1);
      expect(d?.delayMs).toBeGreaterThanOrEqual(290);
    } finally {
      await rx.close();
    }
  });

  it('applies branch filters (wildcard, regex, all_branches) and lists the new branch commits only', async () => {
    const rx = await receiver();
    try {
      const wild = await addHook({ url: `${rx.url}?w`, push_events_branch_filter: 'feature/*' });
      const regex = await addHook({ url: `${rx.url}?r`, branch_filter_strategy: 'regex', push_events_branch_filter: '^ma' });
      const all = await addHook({ url: `${rx.url}?a`, branch_filter_strategy: 'all_branches', push_events_branch_filter: 'ignored' });
      expect(all.push_events_branch_filter).toBe('');
      await addHook({ url: `${rx.url}?off`, push_events: false });
      await commit('main', [{ action: 'create', file_path: 'm.txt', content: 'm' }]);
      await commit('feature/x', [{ action: 'create', file_path: 'f.txt', content: 'f' }], { start_branch: 'main' });
      await emu.waitForIdle();
      const byHook = (id: unknown) => emu.deliveries({ hookId: id as number }).map((d) => d.ref);
      expect(byHook(wild.id)).toEqual(['refs/heads/feature/x']);
      expect(byHook(regex.id)).toEqual(['refs/heads/main']);
      expect(byHook(all.id)).toEqual(['refs/heads/main', 'refs/heads/feature/x']);
      expect(rx.received).toHaveLength(4);
      const feature = rx.received.find((r) => r.body.ref === 'refs/heads/feature/x' && r.body.total_commits_count !== undefined)?.body;
      expect(feature).toMatchObject({ before: '0000000000000000000000000000000000000000', total_commits_count: 1, ref_protected: false });
    } finally {
      await rx.close();
    }
  });

  it('also fires on branch creation and deletion through the branches API', async () => {
    const rx = await receiver();
    try {
      await addHook({ url: rx.url });
      await api.Branches.create(projectId, 'topic', 'main');
      await api.Branches.remove(projectId, 'topic');
      await emu.waitForDeliveries(2);
      expect(rx.received.map((r) => [r.body.ref, r.body.total_commits_count, r.body.checkout_sha === null])).toEqual([
        ['refs/heads/topic', 0, false],
        ['refs/heads/topic', 0, true],
      ]);
      expect(rx.received[1]?.body.after).toBe('0000000000000000000000000000000000000000');
    } finally {
      await rx.close();
    }
  });
});

describe('failures, auto-disabling and resend', () => {
  it('records failures without retrying and disables the hook temporarily on the 4th consecutive failure', async () => {
    const rx = await receiver(500);
    try {
      const hook = await addHook({ url: rx.url });
      for (let i = 0; i < 4; i += 1) {
        await commit('main', [{ action: 'create', file_path: `f${i}.txt`, content: 'x' }]);
        await emu.waitForIdle();
      }
      expect(rx.received).toHaveLength(4);
      const shown = (await (await call(`/projects/${projectId}/hooks/${hook.id as number}`)).json()) as Record<string, unknown>;
      expect(shown.alert_status).toBe('temporarily_disabled');
      const until = Date.parse(shown.disabled_until as string);
      expect(until - Date.now()).toBeGreaterThan(55_000);
      expect(until - Date.now()).toBeLessThanOrEqual(60_000);

      // While disabled nothing is sent, and the resend API refuses.
      await commit('main', [{ action: 'create', file_path: 'skipped.txt', content: 'x' }]);
      await emu.waitForIdle();
      expect(rx.received).toHaveLength(4);
      expect(emu.stats().hooks).toMatchObject({ failed: 4 });
      const events = (await (await call(`/projects/${projectId}/hooks/${hook.id as number}/events?status=server_failure`)).json()) as Array<Record<string, unknown>>;
      expect(events).toHaveLength(4);
      expect(events[0]).toMatchObject({ trigger: 'push_hooks', response_status: '500', response_body: '{"ok":true}' });
      expect((events[0]?.request_headers as Record<string, string>)['X-Gitlab-Event']).toBe('Push Hook');
      const resend = await call(`/projects/${projectId}/hooks/${hook.id as number}/events/${events[0]?.id as number}/resend`, { method: 'POST' });
      expect(resend.status).toBe(422);
      expect(await resend.json()).toEqual({ message: 'Hook disabled' });
    } finally {
      await rx.close();
    }
  });

  it('backs off 1, 2, 4 minutes and disables permanently at the 40th failure; a new hook at the URL starts afresh', async () => {
    const rx = await receiver(503);
    try {
      const hook = await addHook({ url: rx.url });
      let offset = 0;
      const realNow = emu.core.now.bind(emu.core);
      emu.core.now = () => realNow() + offset;
      const push = async (i: number) => {
        await commit('main', [{ action: 'create', file_path: `p${i}.txt`, content: 'x' }]);
        await emu.waitForIdle();
      };
      const state = () => emu.state().projects[0]?.hooks[0];
      for (let i = 0; i < 4; i += 1) await push(i);
      const windows: number[] = [];
      for (let i = 4; i < 7; i += 1) {
        const h = state();
        windows.push(Math.round((Date.parse(h?.disabled_until as string) - emu.core.now()) / 60_000));
        offset += Date.parse(h?.disabled_until as string) - emu.core.now() + 1;
        await push(i);
      }
      expect(windows).toEqual([1, 2, 4]);
      for (let i = 7; i < 40; i += 1) {
        offset += Date.parse(state()?.disabled_until as string) - emu.core.now() + 1;
        await push(i);
      }
      expect(state()).toMatchObject({ recent_failures: 40, alert_status: 'disabled' });
      offset += 2 * 86_400_000;
      await push(41);
      expect(rx.received).toHaveLength(40);

      // Only a new hook (or a successful delivery, which cannot happen now) clears the state.
      rx.status.code = 200;
      const again = await addHook({ url: rx.url });
      await push(42);
      expect(emu.deliveries({ hookId: again.id as number }).map((d) => d.ok)).toEqual([true]);
      emu.core.now = realNow;
      expect(hook.id).not.toBe(again.id);
    } finally {
      await rx.close();
    }
  });

  it('counts an unreachable receiver and a timeout as failures and never crashes', async () => {
    // The slow server listens before the dead receiver's port is freed: it cannot be given that
    // port (it was, once in CI, and both hooks then timed out).
    const slow = createServer(() => undefined);
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const rx = await receiver();
    const deadUrl = rx.url;
    await rx.close();
    try {
      emu.configure({ hooks: { timeoutMs: 200 } });
      await addHook({ url: deadUrl });
      await addHook({ url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/` });
      const res = await commit('main', [{ action: 'create', file_path: 'x.txt', content: 'x' }]);
      expect(res.status).toBe(201);
      await emu.waitForIdle();
      const [refused, timedOut] = emu.deliveries();
      expect(refused).toMatchObject({ ok: false, statusCode: null, error: expect.stringContaining('ECONNREFUSED') as unknown as string });
      expect(timedOut).toMatchObject({ ok: false, statusCode: null, error: 'timeout: no response within 200 ms' });
      expect(timedOut?.durationMs).toBeGreaterThanOrEqual(190);
      const events = (await (await call(`/projects/${projectId}/hooks/${refused?.hookId}/events`)).json()) as Array<Record<string, unknown>>;
      expect(events[0]?.response_status).toBe('internal error');
      expect((await call('/user')).status).toBe(200);
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });

  it('resends an event with the same Idempotency-Key and payload, through the API and the control endpoint', async () => {
    const rx = await receiver(500);
    try {
      const hook = await addHook({ url: rx.url, token: 't' });
      await commit('main', [{ action: 'create', file_path: 'r.txt', content: 'r' }]);
      const [original] = await emu.waitForDeliveries(1);
      rx.status.code = 200;
      const events = (await (await call(`/projects/${projectId}/hooks/${hook.id as number}/events`)).json()) as Array<{ id: number }>;
      const resent = await call(`/projects/${projectId}/hooks/${hook.id as number}/events/${events[0]?.id}/resend`, { method: 'POST' });
      expect(resent.status).toBe(201);
      expect(await resent.json()).toEqual({ response_status: 200 });

      const viaControl = await fetch(`${emu.url}/__emulator/hooks/redeliver`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ eventUuid: original?.eventUuid }),
      });
      expect(((await viaControl.json()) as { deliveries: unknown[] }).deliveries).toHaveLength(1);
      expect(rx.received).toHaveLength(3);
      const keys = rx.received.map((r) => r.headers['idempotency-key']);
      expect(new Set(keys).size).toBe(1);
      expect(new Set(rx.received.map((r) => r.headers['x-gitlab-webhook-uuid'])).size).toBe(3);
      expect(rx.received[2]?.body).toEqual(rx.received[0]?.body);

      const listed = (await (await fetch(`${emu.url}/__emulator/hooks/deliveries?idempotencyKey=${keys[0] as string}`)).json()) as { deliveries: Array<{ resend: boolean; statusCode: number }> };
      expect(listed.deliveries.map((d) => [d.resend, d.statusCode])).toEqual([
        [false, 500],
        [true, 200],
        [true, 200],
      ]);
      expect(emu.stats().hooks.resent).toBe(2);
      // GitLab limits the resend API to five calls per minute per hook and user.
      const codes: number[] = [];
      for (let i = 0; i < 5; i += 1) codes.push((await call(`/projects/${projectId}/hooks/${hook.id as number}/events/${events[0]?.id}/resend`, { method: 'POST' })).status);
      expect(codes).toEqual([201, 201, 201, 201, 429]);
    } finally {
      await rx.close();
    }
  });
});

describe('hook persistence', () => {
  it('keeps hooks, their failure state and logs across a restart, and shows them in /__emulator/state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitlab-emulator-hooks-'));
    const stateFile = join(dir, 'state.json');
    const rx = await receiver(500);
    try {
      const one = await startGitlabEmulator({ token: TOKEN, stateFile });
      const api1 = new Gitlab({ host: one.url, token: TOKEN });
      const p = await api1.Projects.create({ name: 'kept', initializeWithReadme: true });
      const hook = await api1.ProjectHooks.add(p.id, rx.url, { token: 'persisted', pushEventsBranchFilter: 'main' });
      await api1.Commits.create(p.id, 'main', 'c', [{ action: 'create', filePath: 'x', content: 'x' }]);
      await one.waitForDeliveries(1);
      await one.close();

      const two = await startGitlabEmulator({ token: TOKEN, stateFile });
      try {
        const state = (await (await fetch(`${two.url}/__emulator/state`)).json()) as { projects: Array<{ hooks: Array<Record<string, unknown>> }> };
        expect(state.projects[0]?.hooks).toEqual([
          expect.objectContaining({ id: hook.id, url: rx.url, push_events_branch_filter: 'main', token_set: true, recent_failures: 1, deliveries: 1 }),
        ]);
        rx.status.code = 200;
        const api2 = new Gitlab({ host: two.url, token: TOKEN });
        await api2.Commits.create(p.id, 'main', 'd', [{ action: 'create', filePath: 'y', content: 'y' }]);
        await two.waitForDeliveries(2);
        expect(rx.received[1]?.headers['x-gitlab-token']).toBe('persisted');
        expect(two.state().projects[0]?.hooks[0]?.recent_failures).toBe(0);
        const next = await api2.ProjectHooks.add(p.id, `${rx.url}?2`);
        expect(next.id).toBeGreaterThan(hook.id);
      } finally {
        await two.close();
      }
    } finally {
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
