import { DELETION_MODES, FAULT_KINDS, type TDeletionMode, type TFaultKind, type TRuntimeConfigPatch, type TTokenConfig } from './emulator';
import type { TGitlabEmulatorOptions } from './server';

export const CLI_USAGE = `Usage: gitlab-emulator [options]   (an emulator of GitLab's REST API v4, not GitLab)
  --port <n>                 port to listen on (0 = any free port)        env GITLAB_EMULATOR_PORT
  --host <addr>              address to bind (default 127.0.0.1)          env GITLAB_EMULATOR_HOST
  --token <t>                admin token of user "root"                   env GITLAB_EMULATOR_TOKEN
  --user-token <t:username>  extra non-admin token (repeatable)           env GITLAB_EMULATOR_USER_TOKENS (comma-separated)
  --admin-token <t:username> extra admin token (repeatable)               env GITLAB_EMULATOR_ADMIN_TOKENS
  --state-file <path>        load state on start, save it after changes   env GITLAB_EMULATOR_STATE_FILE
  --external-url <url>       base of web_url / http_url_to_repo          env GITLAB_EMULATOR_EXTERNAL_URL
  --latency-ms <n>           added latency per request                    env GITLAB_EMULATOR_LATENCY_MS
  --latency-jitter-ms <n>    random extra latency up to n ms              env GITLAB_EMULATOR_LATENCY_JITTER_MS
  --fault-rate <f>           probability of a fault per request, 0..1     env GITLAB_EMULATOR_FAULT_RATE
  --fault-kinds <k,k>        ${FAULT_KINDS.join(',')}   env GITLAB_EMULATOR_FAULT_KINDS
  --fault-mutating-only      faults only on POST/PUT/PATCH/DELETE         env GITLAB_EMULATOR_FAULT_MUTATING_ONLY=1
  --fault-path-pattern <re>  faults only where the path after /api/v4 matches   env GITLAB_EMULATOR_FAULT_PATH_PATTERN
  --retry-after <s>          Retry-After seconds of 429 faults            env GITLAB_EMULATOR_RETRY_AFTER
  --seed <n>                 PRNG seed for faults and fork failures       env GITLAB_EMULATOR_SEED
  --fork-delay-ms <n>        time until a fork's import is finished       env GITLAB_EMULATOR_FORK_DELAY_MS
  --fork-fail-rate <f>       probability that a fork import fails         env GITLAB_EMULATOR_FORK_FAIL_RATE
  --forking-disabled         the fork endpoint answers 404                env GITLAB_EMULATOR_FORKING_DISABLED=1
  --deletion-delay-ms <n>    delay before deleted groups/projects vanish  env GITLAB_EMULATOR_DELETION_DELAY_MS
  --deletion-mode <m>        ${DELETION_MODES.join('|')} meanwhile (default rename)   env GITLAB_EMULATOR_DELETION_MODE
  --destroy-window-ms <n>    after removal: 404, path still taken, for n ms   env GITLAB_EMULATOR_DESTROY_WINDOW_MS
  --hook-delay-ms <n>        delay before a webhook delivery              env GITLAB_EMULATOR_HOOK_DELAY_MS
  --hook-jitter-ms <n>       random extra delivery delay up to n ms       env GITLAB_EMULATOR_HOOK_JITTER_MS
  --hook-timeout-ms <n>      webhook timeout (GitLab: 10000)              env GITLAB_EMULATOR_HOOK_TIMEOUT_MS
  --hook-auto-disabling <b>  true|false: disable failing hooks (default true)   env GITLAB_EMULATOR_HOOK_AUTO_DISABLING
  --rate-limit <n>           authenticated API requests per user per period, 429 beyond (0 = off)   env GITLAB_EMULATOR_RATE_LIMIT
  --rate-limit-period <s>    its period in seconds (default 60)            env GITLAB_EMULATOR_RATE_LIMIT_PERIOD
  --rate-limit-headers       RateLimit-* headers below the limit too       env GITLAB_EMULATOR_RATE_LIMIT_HEADERS=1
  --project-get-limit <n>    GET /projects/:id per user per minute (GitLab.com 400; 0 = off)   env GITLAB_EMULATOR_PROJECT_GET_LIMIT
  --group-get-limit <n>      GET /groups/:id per user per minute (GitLab.com 400; 0 = off)     env GITLAB_EMULATOR_GROUP_GET_LIMIT`;

const FLAGS = new Set(['fault-mutating-only', 'forking-disabled', 'rate-limit-headers', 'help']);

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got "${v}"`);
  return n;
}

function tokenList(values: string[], admin: boolean): TTokenConfig[] {
  return values.map((v) => {
    const i = v.lastIndexOf(':');
    if (i <= 0 || i === v.length - 1) throw new Error(`token "${v}" must be written token:username`);
    return { token: v.slice(0, i), username: v.slice(i + 1), admin };
  });
}

/** Options from command line arguments, falling back to GITLAB_EMULATOR_* environment variables. */
export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv): TGitlabEmulatorOptions & { help: boolean } {
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (FLAGS.has(name)) value = 'true';
    else {
      value = argv[i + 1];
      i += 1;
      if (value === undefined) throw new Error(`--${name} needs a value`);
    }
    single.set(name, value);
    multi.set(name, [...(multi.get(name) ?? []), value]);
  }
  const get = (name: string) => single.get(name) ?? env[`GITLAB_EMULATOR_${name.toUpperCase().replace(/-/g, '_')}`];
  const list = (name: string, envName: string) => multi.get(name) ?? (env[envName] ? (env[envName] as string).split(',').filter(Boolean) : []);
  const flag = (name: string) => {
    const v = get(name);
    return v === undefined ? undefined : v === 'true' || v === '1';
  };

  const kinds = get('fault-kinds')?.split(',').filter(Boolean);
  if (kinds?.some((k) => !(FAULT_KINDS as readonly string[]).includes(k))) throw new Error(`--fault-kinds accepts ${FAULT_KINDS.join(', ')}`);
  const deletionMode = get('deletion-mode');
  if (deletionMode !== undefined && !(DELETION_MODES as readonly string[]).includes(deletionMode)) throw new Error(`--deletion-mode accepts ${DELETION_MODES.join(', ')}`);
  const config: TRuntimeConfigPatch = {
    latencyMs: num('latency-ms', get('latency-ms')),
    latencyJitterMs: num('latency-jitter-ms', get('latency-jitter-ms')),
    seed: num('seed', get('seed')),
    deletionDelayMs: num('deletion-delay-ms', get('deletion-delay-ms')),
    deletionMode: deletionMode as TDeletionMode | undefined,
    destroyWindowMs: num('destroy-window-ms', get('destroy-window-ms')),
    faults: {
      rate: num('fault-rate', get('fault-rate')),
      kinds: kinds as TFaultKind[] | undefined,
      mutatingOnly: flag('fault-mutating-only'),
      pathPattern: get('fault-path-pattern'),
      retryAfterSeconds: num('retry-after', get('retry-after')),
    },
    hooks: {
      deliveryDelayMs: num('hook-delay-ms', get('hook-delay-ms')),
      deliveryJitterMs: num('hook-jitter-ms', get('hook-jitter-ms')),
      timeoutMs: num('hook-timeout-ms', get('hook-timeout-ms')),
      autoDisabling: flag('hook-auto-disabling'),
    },
    rateLimits: {
      authenticatedApi: num('rate-limit', get('rate-limit')),
      periodSeconds: num('rate-limit-period', get('rate-limit-period')),
      headersOnSuccess: flag('rate-limit-headers'),
      projectGet: num('project-get-limit', get('project-get-limit')),
      groupGet: num('group-get-limit', get('group-get-limit')),
    },
    fork: {
      importDelayMs: num('fork-delay-ms', get('fork-delay-ms')),
      failRate: num('fork-fail-rate', get('fork-fail-rate')),
      disabled: flag('forking-disabled'),
    },
  };
  const prune = (o: Record<string, unknown>) => {
    for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  };
  prune(config.faults as Record<string, unknown>);
  prune(config.fork as Record<string, unknown>);
  prune(config.hooks as Record<string, unknown>);
  prune(config.rateLimits as Record<string, unknown>);
  prune(config as Record<string, unknown>);

  return {
    help: single.has('help'),
    port: num('port', get('port')) ?? 0,
    host: get('host') ?? '127.0.0.1',
    token: get('token'),
    tokens: [
      ...tokenList(list('user-token', 'GITLAB_EMULATOR_USER_TOKENS'), false),
      ...tokenList(list('admin-token', 'GITLAB_EMULATOR_ADMIN_TOKENS'), true),
    ],
    stateFile: get('state-file'),
    externalUrl: get('external-url'),
    config,
  };
}
