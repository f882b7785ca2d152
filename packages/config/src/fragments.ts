import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);

/** Zod field helpers for env schemas. */
export const envFields = { bool, port };

export const databaseEnv = {
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
};

export const temporalEnv = {
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
};

export const storageEnv = {
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1),
  S3_SECRET_ACCESS_KEY: z.string().min(1),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name').default('computor'),
  S3_FORCE_PATH_STYLE: bool.default(true),
  S3_CHECKSUM_MODE: z.enum(['when_supported', 'when_required']).default('when_supported'),
};

/** Tutor test runs: how long the API serves a run's state (its objects expire after a day regardless). */
export const tutorTestEnv = {
  TUTOR_TEST_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
};

export const logEnv = {
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug', 'trace']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
};

type StorageEnv = z.infer<ReturnType<typeof z.object<typeof storageEnv>>>;

/** Maps parsed storage variables onto @computor/storage's config shape. */
export function storageConfigFrom(env: StorageEnv) {
  return {
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    bucket: env.S3_BUCKET,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    checksumMode: env.S3_CHECKSUM_MODE,
  };
}

export const gitlabEnv = {
  /** Token for organizations without their own (tokenRef or encrypted token). */
  GITLAB_TOKEN: z.string().min(1).optional(),
  /** JSON object mapping an organization's tokenRef to its token. */
  GITLAB_TOKENS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return {} as Record<string, string>;
      try {
        return z.record(z.string(), z.string().min(1)).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of tokenRef -> token' });
        return z.NEVER;
      }
    }),
  /** Encrypts per-organization GitLab tokens stored in the database. */
  TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  GITLAB_REQUESTS_PER_SECOND: z.coerce.number().positive().default(10),
  GITLAB_MAX_CONCURRENT: z.coerce.number().int().positive().default(10),
  GITLAB_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** The instance's authenticated API limit per user per minute (GitLab.com 2000); 0: learned from RateLimit-* headers. */
  GITLAB_RATE_LIMIT_PER_MINUTE: z.coerce.number().min(0).default(0),
  /** GET /projects/:id and GET /groups/:id per user per minute (GitLab.com 400); 0: none known (paused and learned on a 429). */
  GITLAB_PROJECT_READS_PER_MINUTE: z.coerce.number().min(0).default(0),
};
