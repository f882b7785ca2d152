import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractArchive } from './extract-archive';
import { buildTarGz, buildZip, expectRejected } from './fixtures/build';
import { craftZip } from './fixtures/zip-craft';

const umask = process.umask();

describe('extractArchive', () => {
  let work: string;
  let dest: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'archive-extract-'));
    dest = join(work, 'dest');
    await mkdir(dest);
  });

  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function listTree(dir: string, prefix = ''): Promise<string[]> {
    const out: string[] = [];
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = `${prefix}${entry.name}`;
      if (entry.isDirectory()) out.push(`${rel}/`, ...(await listTree(join(dir, entry.name), `${rel}/`)));
      else out.push(rel);
    }
    return out;
  }

  it.each([
    ['zip', () => buildZip([
      { name: 'src/pkg/main.py', data: 'print("hi")\n' },
      { name: 'run.sh', data: '#!/bin/sh\n', mode: 0o104777 },
      { name: 'empty/', directory: true },
      { name: 'blob.bin', data: Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256)) },
    ])],
    ['tar.gz', () => buildTarGz([
      { name: 'src/pkg/main.py', data: 'print("hi")\n' },
      { name: 'run.sh', data: '#!/bin/sh\n', mode: 0o4777 },
      { name: 'empty/', type: 'directory', mode: 0o777 },
      { name: 'blob.bin', data: Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256)) },
    ])],
  ])('%s: writes files byte-identical with safe modes, and empty directories', async (_format, build) => {
    const written = await extractArchive(await build(), dest);
    expect(written.sort()).toEqual(['blob.bin', 'run.sh', 'src/pkg/main.py']);
    expect(await listTree(dest)).toEqual(['blob.bin', 'empty/', 'run.sh', 'src/', 'src/pkg/', 'src/pkg/main.py']);
    expect(await readFile(join(dest, 'src/pkg/main.py'), 'utf8')).toBe('print("hi")\n');
    expect((await readFile(join(dest, 'blob.bin'))).equals(Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256)))).toBe(true);
    for (const file of ['run.sh', 'blob.bin', 'src/pkg/main.py']) {
      expect((await lstat(join(dest, file))).mode & 0o7777).toBe(0o644 & ~umask);
    }
    for (const dir of ['empty', 'src', 'src/pkg']) {
      expect((await lstat(join(dest, dir))).mode & 0o7777).toBe(0o755 & ~umask);
    }
  });

  it('writes nothing when the archive is refused, even if its first entries are fine', async () => {
    const zip = craftZip([{ name: 'fine.txt', data: Buffer.from('x') }, { name: 'also/fine.txt', data: Buffer.from('y') }, { name: '../../evil', data: Buffer.from('z') }]);
    await expectRejected(extractArchive(zip, dest), 'path_traversal', '../../evil');
    expect(await readdir(dest)).toEqual([]);
    expect((await readdir(work)).sort()).toEqual(['dest']);
  });

  it('refuses a destination that is not empty or not a directory', async () => {
    const zip = await buildZip([{ name: 'a.txt', data: 'a' }]);
    await writeFile(join(dest, 'existing'), 'keep');
    await expect(extractArchive(zip, dest)).rejects.toThrow(/not empty/);
    expect(await readFile(join(dest, 'existing'), 'utf8')).toBe('keep');
    await expect(extractArchive(zip, join(dest, 'existing'))).rejects.toThrow(/not a directory/);
    await expect(extractArchive(zip, join(work, 'missing'))).rejects.toThrow(/ENOENT/);
  });

  it('follows a symlinked destination itself but writes only inside its target', async () => {
    const link = join(work, 'link');
    await symlink(dest, link);
    await extractArchive(await buildZip([{ name: 'a/b.txt', data: 'b' }]), link);
    expect(await readFile(join(dest, 'a/b.txt'), 'utf8')).toBe('b');
  });
});
