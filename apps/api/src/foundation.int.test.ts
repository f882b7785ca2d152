import path from 'node:path';
import { createTestUser, loadStackEnv, spawnProcess, stackControl, stackDb, stackEnvPath, stackStorage, stackTemporal, testLogger } from '@computor/test-support';
import type { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';

let deps: ApiDeps;
let connection: Connection;

beforeAll(async () => {
  const temporal = await stackTemporal();
  connection = temporal.connection;
  deps = {
    db: stackDb(),
    temporal: temporal.client as Client,
    storage: stackStorage(),
    logger: testLogger('api'),
    config: { maxUploadBytes: 1024 * 1024, resultWaitSeconds: 2, temporalNamespace: loadStackEnv().TEMPORAL_NAMESPACE ?? 'default' },
  };
});

afterAll(async () => {
  await deps.db.$disconnect();
  await connection.close();
  deps.storage.destroy();
});

describe('health', () => {
  it('/healthz answers without authentication', async () => {
    const res = await request(createServer(deps)).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/readyz reports every component up', async () => {
    const res = await request(createServer(deps)).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    for (const name of ['postgres', 'temporal', 'storage']) expect(res.body.components[name].status).toBe('up');
  });

  it('/readyz turns 503 naming postgres while PostgreSQL is stopped, and recovers', async () => {
    const stack = stackControl();
    await stack.stopService('postgres');
    try {
      const res = await request(createServer(deps)).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not_ready');
      expect(res.body.components.postgres.status).toBe('down');
      expect(res.body.components.temporal.status).toBe('up');
      expect(res.body.components.storage.status).toBe('up');
    } finally {
      await stack.startService('postgres');
    }
    const again = await request(createServer(deps)).get('/readyz');
    expect(again.status).toBe(200);
  }, 60_000);
});

describe('authentication and the error shape', () => {
  it('answers 401 without a token and with an unknown token', async () => {
    const app = createServer(deps);
    const none = await request(app).get('/me');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const bad = await request(app).get('/me').set('Authorization', 'Bearer ctk_not-a-real-token');
    expect(bad.status).toBe(401);
  });

  it('accepts a token created for a user', async () => {
    const { user, token } = await createTestUser(deps.db);
    const res = await request(createServer(deps)).get('/me').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, email: user.email });
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('answers malformed JSON with 400 in the error shape', async () => {
    const { token } = await createTestUser(deps.db);
    const res = await request(createServer(deps))
      .post('/me')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send('{"broken": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: 'Malformed JSON in request body.' } });
  });

  it('answers unknown routes with 404 in the error shape', async () => {
    const { token } = await createTestUser(deps.db);
    const res = await request(createServer(deps)).get('/no/such/route').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('start-up configuration', () => {
  it('refuses to start with an invalid variable and names it', async () => {
    const proc = spawnProcess(process.execPath, [path.join(__dirname, '..', 'dist', 'main.js')], {
      env: { PATH: process.env.PATH, COMPUTOR_ENV_FILE: stackEnvPath(), API_PORT: 'eighty', TEMPORAL_ADDRESS: 'no-port-here' },
    });
    const exit = await proc.exited;
    expect(exit.code).toBe(2);
    expect(proc.output()).toMatch(/API_PORT/);
    expect(proc.output()).toMatch(/TEMPORAL_ADDRESS: must be host:port/);
  });

  it('starts with the stack env file and serves /readyz', async () => {
    const proc = spawnProcess(process.execPath, [path.join(__dirname, '..', 'dist', 'main.js')], {
      env: { PATH: process.env.PATH, COMPUTOR_ENV_FILE: stackEnvPath(), API_PORT: '0', API_HOST: '127.0.0.1' },
    });
    try {
      const line = await proc.waitFor(/api listening/);
      const port = JSON.parse(line).port as number;
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
    } finally {
      const exit = await proc.kill('SIGTERM');
      expect(exit.code).toBe(0);
    }
  });
});
