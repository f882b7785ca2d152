import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnvFile } from '@computor/config';

/** The repository root (the folder holding pnpm-workspace.yaml). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`pnpm-workspace.yaml not found above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

export function stackDir(): string {
  return process.env.COMPUTOR_STACK_DIR ?? path.join(repoRoot(), '.stack');
}

export function stackEnvPath(): string {
  return path.join(stackDir(), 'stack.env');
}

/**
 * The local stack's generated environment. Integration tests need the real services: when the
 * stack is not up, this throws (the test fails), it never skips.
 */
export function loadStackEnv(): Record<string, string> {
  const file = stackEnvPath();
  if (!existsSync(file)) {
    throw new Error(`The local stack is not running (${file} missing). Start it with \`pnpm stack up\`.`);
  }
  return parseEnvFile(readFileSync(file, 'utf8'));
}

interface StackControl {
  stopService(name: string, opts?: { stackDir?: string }): Promise<unknown>;
  startService(name: string, opts?: { stackDir?: string }): Promise<unknown>;
}

/** The local stack's own JS API (tooling/stack), for tests that stop and restart a service. */
export function stackControl(): StackControl {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(repoRoot(), 'tooling/stack/lib/index.js')) as StackControl;
}
