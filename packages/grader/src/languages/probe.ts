import { execFile } from 'node:child_process';
import type { TGraderConfig } from '../config';
import type { TLanguagePlugin, TRuntimeStatus } from './plugin';

/**
 * Runs `binary args` (found on the worker's PATH, which the sandbox's /usr mirrors) and takes the
 * first line of its output as the version; a missing binary or a failing probe is unavailable.
 */
export function probeBinary(binary: string, args: string[], timeoutMs = 15_000): Promise<TRuntimeStatus> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: timeoutMs, env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8' } }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        resolve({ available: false, reason: missing ? `${binary} not found on PATH` : `${binary} ${args.join(' ')} failed: ${(stderr || error.message).trim().split('\n')[0]}` });
        return;
      }
      resolve({ available: true, version: `${stdout}${stderr}`.trim().split('\n')[0] });
    });
  });
}

const probes = new Map<string, Promise<TRuntimeStatus>>();

/** The runtime status of a language on this machine, probed once per process and config. */
export function runtimeStatus(plugin: TLanguagePlugin, config: TGraderConfig): Promise<TRuntimeStatus> {
  // Only the interpreter path of the config names a runtime; the rest (limits, output sizes) varies per call.
  const key = `${plugin.id}:${config.pythonBin}`;
  let probe = probes.get(key);
  if (!probe) {
    probe = plugin.probeRuntime(config).catch((error: unknown) => ({ available: false, reason: `probe failed: ${String(error)}` }));
    probes.set(key, probe);
  }
  return probe;
}

/** Forgets the probed runtimes (tests; a worker probes once). */
export function resetRuntimeProbes(): void {
  probes.clear();
}
