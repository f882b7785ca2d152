#!/usr/bin/env node
import { ConfigError } from '@computor/config';
import { loadMigrationsEnv } from './env';
import { migrate, MigrationError } from './migrate';

async function main(): Promise<number> {
  const env = loadMigrationsEnv();
  const result = await migrate(env.DATABASE_URL, (line) => process.stdout.write(`  prisma: ${line}\n`));
  process.stdout.write(
    `${JSON.stringify({ level: 'info', service: 'migrations', message: 'migrations up to date', applied: result.applied, alreadyApplied: result.alreadyApplied.length, durationMs: result.durationMs })}\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof ConfigError) process.stderr.write(`computor migrations: ${error.message}\n`);
    else if (error instanceof MigrationError) process.stderr.write(`computor migrations: ${error.message}\n${error.output}\n`);
    else process.stderr.write(`computor migrations: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
