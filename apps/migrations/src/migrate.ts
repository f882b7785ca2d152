import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const prisma = require('@computor/prisma') as { prismaCli: string; configPath: string; migrationsDir: string; unrefTimersPreload: string };

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  durationMs: number;
}

export class MigrationError extends Error {
  constructor(message: string, readonly output: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export function migrationNames(dir = prisma.migrationsDir): string[] {
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort();
}

async function finishedMigrations(databaseUrl: string): Promise<Set<string>> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('public._prisma_migrations')::text AS t`);
    if (!exists.rows[0]?.t) return new Set();
    const rows = await client.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    return new Set(rows.rows.map((r) => r.migration_name));
  } finally {
    await client.end();
  }
}

function runPrismaDeploy(databaseUrl: string, log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', prisma.unrefTimersPreload, prisma.prismaCli, 'migrate', 'deploy', '--config', prisma.configPath], {
      // Only what the CLI needs: no secrets of ours beyond the database URL, no telemetry.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) log(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new MigrationError(`prisma migrate deploy exited with ${code ?? signal}`, output));
    });
  });
}

/**
 * Applies pending migrations with `prisma migrate deploy`, then checks _prisma_migrations: success
 * is declared only when every migration directory is recorded as finished.
 */
export async function migrate(databaseUrl: string, log: (line: string) => void = () => undefined): Promise<MigrateResult> {
  const start = Date.now();
  const expected = migrationNames();
  const before = await finishedMigrations(databaseUrl);
  const output = await runPrismaDeploy(databaseUrl, log);
  const after = await finishedMigrations(databaseUrl);
  const missing = expected.filter((name) => !after.has(name));
  if (missing.length) throw new MigrationError(`migrations not recorded as applied: ${missing.join(', ')}`, output);
  return {
    applied: expected.filter((name) => !before.has(name)),
    alreadyApplied: expected.filter((name) => before.has(name)),
    durationMs: Date.now() - start,
  };
}
