import { effectiveLimits, resolveSandboxLimits } from './limits';

const MiB = 1024 * 1024;

test('operator defaults', () => {
  expect(resolveSandboxLimits()).toEqual({
    wallTimeoutMs: 10_000,
    compileTimeoutMs: 30_000,
    memoryMb: 1024,
    maxProcesses: 64,
    fileSizeMb: 16,
    openFiles: 256,
    outputBytes: MiB,
    valueBytes: 16 * MiB,
    workDirMb: 64,
  });
});

test('assignment settings and test.yaml timeouts lower the operator maxima but never raise them', () => {
  const operator = resolveSandboxLimits({ wallTimeoutMs: 10_000, memoryMb: 512, maxProcesses: 64 });
  expect(effectiveLimits(operator, undefined, { kind: 'run', timeoutSeconds: 180 })).toMatchObject({ wallTimeoutMs: 10_000, cpuSeconds: 10, memoryBytes: 512 * MiB, maxProcesses: 64 });
  expect(effectiveLimits(operator, { timeout: 2, memoryLimitMB: 128, maxProcesses: 4, cpuLimit: 1 }, { kind: 'run' })).toMatchObject({
    wallTimeoutMs: 2000,
    cpuSeconds: 1,
    memoryBytes: 128 * MiB,
    maxProcesses: 4,
  });
  expect(effectiveLimits(operator, { timeout: 60, memoryLimitMB: 4096, maxProcesses: 1000 }, { kind: 'run' })).toMatchObject({ wallTimeoutMs: 10_000, memoryBytes: 512 * MiB, maxProcesses: 64 });
  // The collection's timeout wins over meta.yaml's, both clamped.
  expect(effectiveLimits(operator, { timeout: 5 }, { kind: 'run', timeoutSeconds: 3 }).wallTimeoutMs).toBe(3000);
  expect(effectiveLimits(operator, { compileTimeout: 4 }, { kind: 'compile', timeoutSeconds: 1 }).wallTimeoutMs).toBe(4000);
  expect(effectiveLimits(operator, { timeout: 0 }, { kind: 'run' }).wallTimeoutMs).toBe(10_000);
});
