#!/usr/bin/env node
import { CLI_USAGE, parseCliOptions } from './options';
import { EMULATOR_NOTICE, startGitlabEmulator } from './server';

async function main(): Promise<void> {
  const options = parseCliOptions(process.argv.slice(2), process.env);
  if (options.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return;
  }
  const emulator = await startGitlabEmulator({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(
    `${JSON.stringify({ event: 'gitlab-emulator.started', url: emulator.url, apiUrl: `${emulator.url}/api/v4`, port: emulator.port, stateFile: options.stateFile ?? null, notice: EMULATOR_NOTICE })}\n`,
  );
  const stop = (signal: string) => {
    void emulator.close().then(() => {
      process.stdout.write(`${JSON.stringify({ event: 'gitlab-emulator.stopped', signal })}\n`);
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`gitlab-emulator: ${e instanceof Error ? e.message : String(e)}\n${CLI_USAGE}\n`);
  process.exit(1);
});
