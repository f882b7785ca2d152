import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startGitlabEmulator, type TGitlabEmulator } from './index';

// The emulator driven by an independent client: python-gitlab runs conformance/python_gitlab_journey.py,
// which asserts GitLab's documented behaviour. A missing python-gitlab fails the test, never skips it.
const TOKEN = 'python-gitlab-token';
const repoRoot = resolve(__dirname, '../../..');
const venv = process.env.COMPUTOR_TEST_VENV ?? join(repoRoot, '.cache/gitlab-test-venv');
const python = join(venv, 'bin/python');
const script = resolve(__dirname, '../conformance/python_gitlab_journey.py');

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, out }));
  });
}

let emu: TGitlabEmulator;
beforeAll(async () => {
  // GitLab 18 defaults: delayed deletion that renames and frees the path, forks imported asynchronously.
  emu = await startGitlabEmulator({ token: TOKEN, config: { fork: { importDelayMs: 150 }, deletionDelayMs: 600_000, deletionMode: 'rename' } });
});
afterAll(() => emu.close());

it('python-gitlab is installed (scripts/setup.sh, through tooling/python/pinned-venv.sh)', async () => {
  expect(existsSync(python)).toBe(true);
  const probe = await run(python, ['-c', 'import gitlab; print(gitlab.__version__)']);
  expect(probe).toEqual({ code: 0, out: expect.stringMatching(/^\d+\.\d+/) });
});

it('passes the whole provisioning journey of python-gitlab', async () => {
  const { code, out } = await run(python, [script, emu.url, TOKEN]);
  if (code !== 0) throw new Error(`python-gitlab journey failed (exit ${code}):\n${out}`);
  expect(out).toMatch(/conformance: \d+ passed, 0 failed/);
}, 60_000);
