import { databaseEnv, parseEnv, withEnvFile, type RawEnv } from '@computor/config';
import { z } from 'zod';

const ZMigrationsEnv = z.object({ DATABASE_URL: databaseEnv.DATABASE_URL });
export type TMigrationsEnv = z.infer<typeof ZMigrationsEnv>;

/** The only place the migrations job reads process.env. */
export function loadMigrationsEnv(env: RawEnv = process.env): TMigrationsEnv {
  return parseEnv(ZMigrationsEnv, withEnvFile(env));
}
