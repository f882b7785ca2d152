import { readFileSync } from 'node:fs';
import { type z } from 'zod';

export type RawEnv = Record<string, string | undefined>;

/** A configuration that cannot be used; names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly issues: ReadonlyArray<{ variable: string; message: string }>) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses KEY=value lines (comments and blank lines ignored, optional quotes stripped). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    let value = match[2]!;
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[match[1]!] = value;
  }
  return out;
}

/**
 * The environment with `COMPUTOR_ENV_FILE` (the local stack's generated file) underneath it:
 * variables set in the process win over the file.
 */
export function withEnvFile(env: RawEnv): RawEnv {
  const file = env.COMPUTOR_ENV_FILE;
  if (!file) return env;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ variable: 'COMPUTOR_ENV_FILE', message: `cannot read ${file}: ${(error as Error).message}` }]);
  }
  return { ...parseEnvFile(text), ...env };
}

// Names the original Python deployment used, mapped onto ours (ours win when both are set).
const aliases: Record<string, (env: RawEnv) => string | undefined> = {
  TEMPORAL_ADDRESS: (e) => (e.TEMPORAL_HOST ? `${e.TEMPORAL_HOST}:${e.TEMPORAL_PORT ?? '7233'}` : undefined),
  DATABASE_URL: (e) =>
    e.POSTGRES_HOST
      ? `postgresql://${encodeURIComponent(e.POSTGRES_USER ?? 'postgres')}:${encodeURIComponent(e.POSTGRES_PASSWORD ?? '')}@${e.POSTGRES_HOST}:${e.POSTGRES_PORT ?? '5432'}/${encodeURIComponent(e.POSTGRES_DB ?? 'computor')}`
      : undefined,
  S3_ENDPOINT: (e) => {
    if (!e.MINIO_ENDPOINT) return undefined;
    if (/^https?:\/\//.test(e.MINIO_ENDPOINT)) return e.MINIO_ENDPOINT;
    return `${e.MINIO_SECURE === 'true' ? 'https' : 'http'}://${e.MINIO_ENDPOINT}`;
  },
  S3_ACCESS_KEY_ID: (e) => e.MINIO_ACCESS_KEY,
  S3_SECRET_ACCESS_KEY: (e) => e.MINIO_SECRET_KEY,
  S3_BUCKET: (e) => e.MINIO_DEFAULT_BUCKET,
};

export function applyAliases(env: RawEnv): RawEnv {
  const out = { ...env };
  for (const [name, derive] of Object.entries(aliases)) {
    if (out[name] === undefined || out[name] === '') {
      const value = derive(env);
      if (value !== undefined) out[name] = value;
    }
  }
  return out;
}

/** Parses `env` with `schema`; on failure throws a ConfigError naming each variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: RawEnv): z.infer<S> {
  const cleaned: RawEnv = {};
  for (const [key, value] of Object.entries(applyAliases(env))) {
    // An empty string means "unset", as in shells and compose files.
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: issue.path.length ? issue.path.join('.') : '(environment)',
        message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
      })),
    );
  }
  return result.data;
}
