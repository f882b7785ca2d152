import { parseCliOptions } from './options';
import { createPrng } from './prng';

describe('parseCliOptions', () => {
  it('reads flags, with environment variables as fallback', () => {
    const o = parseCliOptions(
      ['--port', '8090', '--token=t', '--user-token', 'u1:student', '--fault-kinds', '500,429', '--fault-mutating-only'],
      { GITLAB_EMULATOR_FAULT_RATE: '0.2', GITLAB_EMULATOR_PORT: '1', GITLAB_EMULATOR_STATE_FILE: '/tmp/s.json' },
    );
    expect(o).toMatchObject({ port: 8090, token: 't', stateFile: '/tmp/s.json', tokens: [{ token: 'u1', username: 'student', admin: false }] });
    expect(o.config).toEqual({ faults: { rate: 0.2, kinds: ['500', '429'], mutatingOnly: true }, hooks: {}, fork: {}, rateLimits: {} });
  });

  it('reads webhook delivery settings', () => {
    const o = parseCliOptions(['--hook-delay-ms', '50', '--hook-auto-disabling', 'false'], { GITLAB_EMULATOR_HOOK_TIMEOUT_MS: '2000' });
    expect(o.config?.hooks).toEqual({ deliveryDelayMs: 50, timeoutMs: 2000, autoDisabling: false });
  });

  it('reads the destroy window', () => {
    expect(parseCliOptions(['--destroy-window-ms', '1500'], {}).config?.destroyWindowMs).toBe(1500);
    expect(parseCliOptions([], { GITLAB_EMULATOR_DESTROY_WINDOW_MS: '200' }).config?.destroyWindowMs).toBe(200);
  });

  it('rejects bad values', () => {
    expect(() => parseCliOptions(['--latency-ms', 'fast'], {})).toThrow('--latency-ms expects a number');
    expect(() => parseCliOptions(['--fault-kinds', 'teapot'], {})).toThrow('--fault-kinds accepts');
    expect(() => parseCliOptions(['--user-token', 'nouser'], {})).toThrow('token:username');
  });
});

describe('createPrng', () => {
  it('is deterministic per seed', () => {
    const a = createPrng(1);
    const b = createPrng(1);
    const seq = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(seq);
    expect(seq.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('reads rate limits (off unless given)', () => {
    const o = parseCliOptions(['--rate-limit', '2000', '--project-get-limit=400', '--rate-limit-headers'], { GITLAB_EMULATOR_GROUP_GET_LIMIT: '400' });
    expect(o.config?.rateLimits).toEqual({ authenticatedApi: 2000, projectGet: 400, groupGet: 400, headersOnSuccess: true });
  });
});
