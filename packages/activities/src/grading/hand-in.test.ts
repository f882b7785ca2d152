import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readArchive } from '@computor/archive';
import { assignmentFiles, handedInAt } from './hand-in';

// GitLab's repository archive is `git archive` output: a pax global header (the commit id) and
// every entry under one top folder, the requested `path` kept below it.
function gitArchive(files: Record<string, string>, dir: string): Buffer {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'hand-in-archive-'));
  try {
    for (const [p, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(repo, p)), { recursive: true });
      fs.writeFileSync(path.join(repo, p), text);
    }
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=t@example.test', '-c', 'user.name=t', ...args]);
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'hand-in');
    const sha = git('rev-parse', 'HEAD').toString().trim();
    return git('archive', '--format=tar.gz', `--prefix=student-main-${sha}-${dir}/`, 'HEAD', dir);
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
}

describe('assignmentFiles', () => {
  it('takes the files under the assignment directory of a git archive, relative to it', async () => {
    const archive = gitArchive({ 'week1.lambda/lambda.py': 'x = 1\n', 'week1.lambda/data/in.txt': '1\n', 'README.md': 'root\n', 'week1.lambdax/other.py': '' }, 'week1.lambda');
    const files = assignmentFiles(await readArchive(archive), 'week1.lambda');
    expect(files.map((f) => f.path).sort()).toEqual(['data/in.txt', 'lambda.py']);
    expect(files.find((f) => f.path === 'lambda.py')!.data.toString()).toBe('x = 1\n');
  });

  it('takes nothing from a neighbouring directory that merely shares the prefix, or from the root', () => {
    const entry = (p: string) => ({ path: p, data: Buffer.from(''), mode: 0o644 });
    expect(assignmentFiles([entry('top/a.b/x.py'), entry('top/a.bc/y.py'), entry('top/a.b'), entry('a.b/z.py')], 'a.b').map((f) => f.path)).toEqual(['x.py']);
  });
});

describe('handedInAt', () => {
  const arrived = new Date('2026-12-06T10:00:05Z');
  it('orders a push by its commit time: hooks of two quick pushes may arrive the other way round', () => {
    expect(handedInAt('push', '2026-12-06T10:00:01Z', arrived)).toEqual(new Date('2026-12-06T10:00:01Z'));
  });
  it('never later than the push arrived (a commit date in the future is the student\'s own setting)', () => {
    expect(handedInAt('push', '2027-01-01T00:00:00Z', arrived)).toEqual(arrived);
    expect(handedInAt('push', 'not a date', arrived)).toEqual(arrived);
  });
  it('a hand-in asked for by commit counts from the request, however old the commit', () => {
    expect(handedInAt('commit', '2026-11-01T00:00:00Z', arrived)).toEqual(arrived);
  });
});
