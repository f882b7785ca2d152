import { Gitlab } from '@gitbeaker/rest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startGitlabEmulator } from './index';

const TOKEN = 'persist-token';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gitlab-emulator-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('state file', () => {
  it('keeps groups, projects, repositories and pending fork imports across a restart', async () => {
    const stateFile = join(dir, 'state', 'gitlab.json');
    const first = await startGitlabEmulator({ token: TOKEN, stateFile, config: { fork: { importDelayMs: 400 } } });
    const api1 = new Gitlab({ host: first.url, token: TOKEN });
    const group = await api1.Groups.create('Course', 'course');
    const tpl = await api1.Projects.create({ name: 'tpl', namespaceId: group.id, initializeWithReadme: true });
    const commit = await api1.Commits.create(tpl.id, 'main', 'add', [{ action: 'create', filePath: 'x/y.txt', content: 'persisted' }]);
    const fork = await api1.Projects.fork(tpl.id, { namespaceId: group.id, path: 'fork', name: 'fork' });
    await first.close();
    expect(existsSync(stateFile)).toBe(true);
    expect(readdirSync(join(dir, 'state'))).toEqual(['gitlab.json']);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).version).toBe(1);

    const second = await startGitlabEmulator({ token: TOKEN, stateFile });
    try {
      const api2 = new Gitlab({ host: second.url, token: TOKEN });
      expect((await api2.Groups.show('course')).id).toBe(group.id);
      expect((await api2.Commits.show('course/tpl', 'main')).id).toBe(commit.id);
      expect(Buffer.from((await api2.RepositoryFiles.show(tpl.id, 'x/y.txt', 'main')).content, 'base64').toString()).toBe('persisted');
      await second.waitForIdle();
      const resumed = await api2.Projects.show(fork.id);
      expect(resumed.import_status).toBe('finished');
      expect(second.readFile(fork.id, 'main', 'x/y.txt')?.toString()).toBe('persisted');
      // Id sequences continue where they stopped.
      expect((await api2.Groups.create('Next', 'next')).id).toBeGreaterThan(group.id);
    } finally {
      await second.close();
    }
  });

  it('saves changes made while running, debounced, without waiting for close', async () => {
    const stateFile = join(dir, 'gitlab.json');
    const emu = await startGitlabEmulator({ token: TOKEN, stateFile, persistDebounceMs: 20 });
    try {
      await new Gitlab({ host: emu.url, token: TOKEN }).Groups.create('Live', 'live');
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && !(existsSync(stateFile) && readFileSync(stateFile, 'utf8').includes('"live"'))) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(readFileSync(stateFile, 'utf8')).toContain('"live"');
    } finally {
      await emu.close();
    }
  });
});

describe('command line', () => {
  const pkg = join(__dirname, '..');
  const main = join(pkg, 'dist', 'main.js');

  beforeAll(() => {
    // The process test runs the compiled entry point; build it when it is missing or older than the sources.
    const newestSource = Math.max(...readdirSync(__dirname, { recursive: true }).map((f) => statSync(join(__dirname, String(f))).mtimeMs));
    if (!existsSync(main) || statSync(main).mtimeMs < newestSource) {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.build.json')], { cwd: pkg, stdio: 'inherit' });
    }
  });

  it('starts from flags, prints one JSON line with the URL and the emulator notice, and persists on SIGTERM', async () => {
    const stateFile = join(dir, 'cli-state.json');
    const child = spawn(process.execPath, [main, '--port', '0', '--token', 'cli-token', '--state-file', stateFile, '--latency-ms', '1'], {
      env: { ...process.env, GITLAB_EMULATOR_FAULT_RATE: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve) => lines.once('line', resolve));
      const started = JSON.parse(first) as { url: string; notice: string; event: string };
      expect(started.event).toBe('gitlab-emulator.started');
      expect(started.notice).toMatch(/NOT GitLab/);
      expect((await fetch(`${started.url}/__emulator/health`)).status).toBe(200);
      await new Gitlab({ host: started.url, token: 'cli-token' }).Groups.create('From CLI', 'from-cli');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(readFileSync(stateFile, 'utf8')).toContain('"from-cli"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
