import path from 'node:path';
import { loadStackEnv, spawnProcess, uniq } from '@computor/test-support';
import { Client } from 'pg';
import { migrationNames } from './migrate';

const MAIN = path.join(__dirname, '..', 'dist', 'main.js');
const stackUrl = () => loadStackEnv().DATABASE_URL!;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function sql<T extends object = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function runMigrations(url: string) {
  const proc = spawnProcess(process.execPath, [MAIN], { env: { PATH: process.env.PATH, DATABASE_URL: url } });
  const exit = await proc.exited;
  return { code: exit.code, output: proc.output() };
}

const database = uniq('migrations_test_');

beforeAll(async () => {
  await sql(stackUrl(), `CREATE DATABASE "${database}"`);
});

afterAll(async () => {
  await sql(stackUrl(), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
});

it('applies every migration to an empty database, then re-applies as a no-op', async () => {
  const url = withDatabase(stackUrl(), database);
  const first = await runMigrations(url);
  expect(first.code).toBe(0);
  const firstSummary = JSON.parse(first.output.trim().split('\n').at(-1)!);
  expect(firstSummary.applied).toEqual(migrationNames());

  const tables = await sql<{ tablename: string }>(url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  expect(tables.map((t) => t.tablename)).toEqual(
    expect.arrayContaining(['users', 'api_tokens', 'organizations', 'courses', 'course_members', 'results', 'workflow_runs', '_prisma_migrations']),
  );
  const countBefore = await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM _prisma_migrations');

  const second = await runMigrations(url);
  expect(second.code).toBe(0);
  expect(JSON.parse(second.output.trim().split('\n').at(-1)!)).toMatchObject({ applied: [], alreadyApplied: migrationNames().length });
  const countAfter = await sql<{ n: string }>(url, 'SELECT count(*) AS n FROM _prisma_migrations');
  expect(countAfter).toEqual(countBefore);
}, 60_000);

it('exits non-zero when the database cannot be reached', async () => {
  const result = await runMigrations('postgresql://nobody:wrong@127.0.0.1:1/none');
  expect(result.code).toBe(1);
  expect(result.output).toMatch(/computor migrations:/);
});

it('exits non-zero and names DATABASE_URL when it is missing', async () => {
  const proc = spawnProcess(process.execPath, [MAIN], { env: { PATH: process.env.PATH } });
  const exit = await proc.exited;
  expect(exit.code).toBe(1);
  expect(proc.output()).toMatch(/DATABASE_URL: is required/);
});
