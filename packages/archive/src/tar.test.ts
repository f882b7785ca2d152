import { gzipSync } from 'node:zlib';
import { buildTar, buildTarGz, expectRejected, type TTarSpec } from './fixtures/build';
import { tarHeader, writeTar } from './tar-writer';
import { readArchive, readArchiveContents } from './read-archive';

const binary = Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 7919) % 256));
const project: TTarSpec[] = [
  { name: './', type: 'directory' },
  { name: './README.md', data: '# hello\n' },
  { name: './src/', type: 'directory' },
  { name: './src/pkg/deep/module.py', data: 'def f():\n    return 42\n' },
  { name: './src/pkg/data.bin', data: binary },
  { name: './run.sh', data: '#!/bin/sh\n', mode: 0o755 },
  { name: './setuid', data: 'x', mode: 0o4755 },
  { name: './empty-dir/', type: 'directory' },
  { name: `./${'long-directory-name/'.repeat(6)}file-beyond-the-ustar-name-field.txt`, data: 'pax path' },
];

describe('readArchive: tar and tar.gz', () => {
  it.each([
    ['tar', buildTar],
    ['tar.gz', buildTarGz],
  ])('%s: returns every regular file byte-identical, with nested and long paths', async (_format, build) => {
    const { files, directories } = await readArchiveContents(await build(project));
    expect(files.map(({ path, mode }) => [path, mode])).toEqual([
      ['README.md', 0o644],
      ['src/pkg/deep/module.py', 0o644],
      ['src/pkg/data.bin', 0o644],
      ['run.sh', 0o755],
      ['setuid', 0o755],
      [`${'long-directory-name/'.repeat(6)}file-beyond-the-ustar-name-field.txt`, 0o644],
    ]);
    expect(files[2]!.data.equals(binary)).toBe(true);
    expect(files[5]!.data.toString()).toBe('pax path');
    expect(directories).toContain('empty-dir');
    expect(directories).toContain('src/pkg/deep');
  });

  it('reads a GNU-format tar and contiguous files as regular files', async () => {
    const gnu = tarHeader({ name: 'gnu.txt', data: Buffer.from('gnu') });
    gnu.write('ustar  \0', 257, 8, 'latin1');
    gnu.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of gnu) sum += byte;
    gnu.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
    const tar = Buffer.concat([gnu, Buffer.from('gnu'), Buffer.alloc(509), writeTar([{ name: 'c.bin', type: '7', data: Buffer.from('c') }])]);
    expect((await readArchive(tar)).map((file) => [file.path, file.data.toString()])).toEqual([
      ['gnu.txt', 'gnu'],
      ['c.bin', 'c'],
    ]);
  });

  describe('refuses', () => {
    it.each([
      ['../../evil', 'path_traversal'],
      ['ok/../../../evil', 'path_traversal'],
      ['/etc/cron.d/evil', 'absolute_path'],
      ['C:/evil.exe', 'absolute_path'],
    ] as const)('an entry named %j (%s)', async (name, code) => {
      await expectRejected(readArchive(await buildTar([{ name: 'fine.txt', data: 'x' }, { name, data: 'pwned' }])), code, name);
    });

    it('a traversal hidden in a pax path record', async () => {
      const name = `${'../'.repeat(40)}etc/evil`;
      await expectRejected(readArchive(await buildTarGz([{ name, data: 'pwned' }])), 'path_traversal', name);
    });

    it('a NUL byte in a pax path record', async () => {
      await expectRejected(readArchive(await buildTar([{ name: 'x', data: 'x', pax: { path: 'a\0b.txt' } }])), 'invalid_name');
    });

    it('symbolic links', async () => {
      const tar = await buildTarGz([{ name: 'ok.txt', data: 'x' }, { name: 'link', type: 'symlink', linkname: '/etc/passwd' }]);
      await expectRejected(readArchive(tar), 'link', 'link');
    });

    it('hard links', async () => {
      const tar = await buildTar([{ name: 'a.txt', data: 'x' }, { name: 'hard', type: 'link', linkname: '/etc/shadow' }]);
      await expectRejected(readArchive(tar), 'link', 'hard');
    });

    it.each([
      ['character-device', { devmajor: 1, devminor: 3 }],
      ['block-device', { devmajor: 8, devminor: 0 }],
      ['fifo', {}],
    ] as const)('a %s', async (type, extra) => {
      await expectRejected(readArchive(await buildTar([{ name: 'dev', type, ...extra }])), 'special_file', 'dev');
    });

    it.each([
      ['GNU old sparse', 'S'],
      ['volume label', 'V'],
      ['GNU dumpdir', 'D'],
    ])('an entry of an unknown type (%s)', async (_label, type) => {
      await expectRejected(readArchive(writeTar([{ name: 'odd', type, data: Buffer.from('x') }])), 'special_file', 'odd');
    });

    it('a pax sparse file', async () => {
      await expectRejected(readArchive(await buildTar([{ name: 'sparse', data: 'abc', pax: { 'GNU.sparse.major': '1' } }])), 'unsupported_format', 'sparse');
    });

    it('duplicate entries (as `tar -r` appends them), also differently spelt', async () => {
      await expectRejected(readArchive(await buildTar([{ name: 'a.txt', data: '1' }, { name: 'a.txt', data: '2' }])), 'duplicate_entry', 'a.txt');
      await expectRejected(readArchive(await buildTar([{ name: 'a.txt', data: '1' }, { name: './a.txt', data: '2' }])), 'duplicate_entry', './a.txt');
      await expectRejected(readArchive(await buildTar([{ name: 'a', data: '1' }, { name: 'a/b', data: '2' }])), 'duplicate_entry', 'a/b');
    });

    it('more entries than maxFiles', async () => {
      const tar = await buildTar(Array.from({ length: 4 }, (_, i) => ({ name: `d${i}/`, type: 'directory' as const })));
      await expectRejected(readArchive(tar, { maxFiles: 3 }), 'too_many_files', 'd3/');
    });

    it('sizes beyond the limits, from the header before reading the data', async () => {
      const tar = await buildTarGz([{ name: 'a', data: 'x'.repeat(600) }, { name: 'b', data: 'x'.repeat(600) }]);
      await expectRejected(readArchive(tar, { maxFileBytes: 500 }), 'file_too_large', 'a');
      await expectRejected(readArchive(tar, { maxTotalBytes: 1000 }), 'total_too_large', 'b');
      await expectRejected(readArchive(tar, { maxArchiveBytes: tar.length - 1 }), 'archive_too_large');
    });

    it('a directory entry with content', async () => {
      await expectRejected(readArchive(writeTar([{ name: 'dir/', type: '5', data: Buffer.from('hidden') }])), 'corrupt', 'dir/');
    });

    it('a header with a bad checksum', async () => {
      const tar = await buildTar([{ name: 'a.txt', data: 'x' }, { name: 'b.txt', data: 'y' }]);
      tar.writeUInt8(tar.readUInt8(1024) ^ 0xff, 1024);
      await expectRejected(readArchive(tar), 'corrupt');
    });

    it('a truncated tar and a truncated or damaged gzip', async () => {
      const tar = await buildTar([{ name: 'a.txt', data: 'x'.repeat(5000) }]);
      await expectRejected(readArchive(tar.subarray(0, 2048)), 'corrupt');
      const gz = gzipSync(tar);
      await expectRejected(readArchive(gz.subarray(0, gz.length - 12)), 'corrupt');
      const damaged = Buffer.from(gz);
      damaged.writeUInt32LE((damaged.readUInt32LE(damaged.length - 8) ^ 1) >>> 0, damaged.length - 8);
      await expectRejected(readArchive(damaged), 'corrupt');
    });

    it('gzip data that is not a tar', async () => {
      await expectRejected(readArchive(gzipSync(Buffer.from('just some text, gzipped'))), 'unsupported_format');
      await expectRejected(readArchive(gzipSync(Buffer.alloc(4096))), 'unsupported_format');
    });
  });
});
