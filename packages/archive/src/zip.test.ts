import { crc32, deflateRawSync } from 'node:zlib';
import { buildZip, expectRejected } from './fixtures/build';
import { craftZip } from './fixtures/zip-craft';
import { readArchive, readArchiveContents } from './read-archive';

const S_IFREG = 0o100000;

describe('readArchive: zip', () => {
  it('returns every regular file byte-identical, with nested directories and normalised modes', async () => {
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
    const zip = await buildZip([
      { name: 'README.md', data: '# hello\n' },
      { name: 'src/', directory: true },
      { name: 'src/pkg/deep/module.py', data: 'def f():\n    return 42\n' },
      { name: 'src/pkg/data.bin', data: binary },
      { name: 'run.sh', data: '#!/bin/sh\necho hi\n', mode: 0o100755 },
      { name: 'setuid', data: 'x', mode: 0o104777 },
      { name: 'empty.txt', data: '' },
      { name: 'empty-dir/', directory: true },
    ]);

    const { files, directories } = await readArchiveContents(zip);
    expect(files.map(({ path, mode }) => [path, mode])).toEqual([
      ['README.md', 0o644],
      ['src/pkg/deep/module.py', 0o644],
      ['src/pkg/data.bin', 0o644],
      ['run.sh', 0o755],
      ['setuid', 0o755],
      ['empty.txt', 0o644],
    ]);
    expect(files[2]!.data.equals(binary)).toBe(true);
    expect(files[1]!.data.toString()).toBe('def f():\n    return 42\n');
    expect(files[5]!.data.length).toBe(0);
    expect(directories).toEqual(['empty-dir', 'src', 'src/pkg', 'src/pkg/deep']);
  });

  it('reads stored (uncompressed) entries and an empty zip', async () => {
    const files = await readArchive(await buildZip([{ name: 'a/b.txt', data: 'stored' }], false));
    expect(files).toEqual([{ path: 'a/b.txt', data: Buffer.from('stored'), mode: 0o644 }]);
    expect(await readArchive(await buildZip([]))).toEqual([]);
  });

  it.each([
    ['deflated', true],
    ['stored', false],
  ])('accepts data descriptors after %s data, as streaming zippers write them', async (_label, compress) => {
    const zip = await buildZip(
      [
        { name: 'a.txt', data: 'first streamed entry', stream: true },
        { name: 'b.txt', data: 'second streamed entry', stream: true },
      ],
      compress,
    );
    expect(zip.readUInt16LE(6) & 0x8).toBe(0x8);
    expect((await readArchive(zip)).map((file) => file.data.toString())).toEqual(['first streamed entry', 'second streamed entry']);
  });

  it('treats backslashes as separators (Windows PowerShell Compress-Archive)', async () => {
    const files = await readArchive(craftZip([{ name: 'project\\src\\main.py', data: Buffer.from('print(1)') }]));
    expect(files.map((file) => file.path)).toEqual(['project/src/main.py']);
  });

  describe('refuses', () => {
    it.each([
      ['../../evil', 'path_traversal'],
      ['ok/../../evil', 'path_traversal'],
      ['..\\..\\evil.bat', 'path_traversal'],
      ['/etc/cron.d/evil', 'absolute_path'],
      ['C:\\Windows\\evil.dll', 'absolute_path'],
      ['evil\0.txt', 'invalid_name'],
      ['', 'invalid_name'],
      ['bad\nname', 'invalid_name'],
    ] as const)('an entry named %j (%s)', async (name, code) => {
      await expectRejected(readArchive(craftZip([{ name: 'fine.txt', data: Buffer.from('x') }, { name, data: Buffer.from('pwned') }])), code, name);
    });

    it('a dangerous name hidden behind an Info-ZIP Unicode Path field', async () => {
      // yauzl prefers the extra field's name; extractors that ignore it use the header name.
      const headerName = Buffer.from('../evil');
      const unicode = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), Buffer.from('safe.txt')]);
      unicode.writeUInt32LE(crc32(headerName), 1);
      const extra = Buffer.alloc(4);
      extra.writeUInt16LE(0x7075, 0);
      extra.writeUInt16LE(unicode.length, 2);
      const zip = withCentralExtraField(craftZip([{ name: headerName, data: Buffer.from('x') }]), Buffer.concat([extra, unicode]));
      await expectRejected(readArchive(zip), 'path_traversal');
    });

    it('a symlink (unix mode S_IFLNK in the external attributes)', async () => {
      const zip = await buildZip([{ name: 'ok.txt', data: 'x' }, { name: 'link', data: '/etc/passwd', mode: 0o120777 }]);
      await expectRejected(readArchive(zip), 'link', 'link');
    });

    it.each([
      ['character device', 0o020644],
      ['block device', 0o060644],
      ['fifo', 0o010644],
      ['socket', 0o140755],
    ])('a %s', async (_label, mode) => {
      await expectRejected(readArchive(craftZip([{ name: 'dev', unixMode: mode }])), 'special_file', 'dev');
    });

    it('duplicate entries, also when they differ only in spelling', async () => {
      await expectRejected(readArchive(await buildZip([{ name: 'a.txt', data: '1' }, { name: 'a.txt', data: '2' }])), 'duplicate_entry', 'a.txt');
      await expectRejected(readArchive(craftZip([{ name: 'x/a.txt' }, { name: './x//a.txt' }])), 'duplicate_entry', './x//a.txt');
      await expectRejected(readArchive(craftZip([{ name: 'x/a.txt' }, { name: 'x\\a.txt' }])), 'duplicate_entry');
    });

    it('a path that is both a file and a directory', async () => {
      await expectRejected(readArchive(await buildZip([{ name: 'a', data: '1' }, { name: 'a/b', data: '2' }])), 'duplicate_entry', 'a/b');
      await expectRejected(readArchive(await buildZip([{ name: 'a/b', data: '1' }, { name: 'a', data: '2' }])), 'duplicate_entry', 'a');
      await expectRejected(readArchive(await buildZip([{ name: 'a/', directory: true }, { name: 'a', data: '2' }])), 'duplicate_entry', 'a');
    });

    it('more entries than maxFiles, from the declared count before reading any', async () => {
      const zip = await buildZip(Array.from({ length: 4 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' })));
      await expectRejected(readArchive(zip, { maxFiles: 3 }), 'too_many_files');
      expect(await readArchive(zip, { maxFiles: 4 })).toHaveLength(4);
    });

    it('an archive larger than maxArchiveBytes', async () => {
      const zip = await buildZip([{ name: 'a.txt', data: 'x'.repeat(5000) }], false);
      await expectRejected(readArchive(zip, { maxArchiveBytes: 4096 }), 'archive_too_large');
    });

    it('paths longer or deeper than the limits', async () => {
      await expectRejected(readArchive(await buildZip([{ name: `${'a'.repeat(20)}/b.txt`, data: 'x' }]), { maxPathLength: 16 }), 'invalid_name');
      await expectRejected(readArchive(await buildZip([{ name: 'a/b/c/d.txt', data: 'x' }]), { maxDepth: 3 }), 'invalid_name');
    });

    it('a file whose declared size exceeds maxFileBytes, before inflating anything', async () => {
      const zip = await buildZip([{ name: 'big.txt', data: 'x'.repeat(2000) }]);
      await expectRejected(readArchive(zip, { maxFileBytes: 1000 }), 'file_too_large', 'big.txt');
    });

    it('files whose declared sizes together exceed maxTotalBytes', async () => {
      const zip = await buildZip(Array.from({ length: 3 }, (_, i) => ({ name: `f${i}`, data: 'x'.repeat(1000) })));
      await expectRejected(readArchive(zip, { maxTotalBytes: 2500 }), 'total_too_large', 'f2');
    });

    it('a declared size below the real size (the lie is caught while inflating)', async () => {
      const content = Buffer.alloc(100_000, 'a');
      const zip = craftZip([
        { name: 'liar.txt', compressed: { method: 8, bytes: deflateRawSync(content), uncompressedSize: 10, crc32: crc32(content) } },
      ]);
      await expectRejected(readArchive(zip), 'corrupt', 'liar.txt');
    });

    it('a compression ratio above maxCompressionRatio once past the grace size', async () => {
      const content = Buffer.alloc(300_000, 'a');
      const zip = craftZip([{ name: 'dense.txt', compressed: { method: 8, bytes: deflateRawSync(content), uncompressedSize: content.length, crc32: crc32(content) } }]);
      await expectRejected(readArchive(zip, { ratioGraceBytes: 100_000 }), 'compression_ratio', 'dense.txt');
      expect(await readArchive(zip)).toHaveLength(1);
    });

    it('encrypted entries', async () => {
      await expectRejected(readArchive(craftZip([{ name: 'secret.txt', data: Buffer.alloc(24), flags: 0x801 }])), 'encrypted', 'secret.txt');
      await expectRejected(readArchive(craftZip([{ name: 'strong.txt', data: Buffer.alloc(24), flags: 0x841 }])), 'encrypted');
    });

    it('compression methods other than stored and deflate', async () => {
      const zip = craftZip([{ name: 'a.bz2', compressed: { method: 12, bytes: Buffer.from('BZh9'), uncompressedSize: 4, crc32: 0 } }]);
      await expectRejected(readArchive(zip), 'unsupported_format', 'a.bz2');
    });

    it('two records pointing at the same local header and data', async () => {
      const data = Buffer.from('payload');
      const zip = craftZip([{ name: 'a.txt', data }, { name: 'b.txt', data, sharesDataWith: 0 }]);
      await expectRejected(readArchive(zip), 'overlapping_entries');
    });

    it('records whose data ranges overlap (non-recursive zip bomb layout)', async () => {
      const first = Buffer.from('first file data');
      const second = Buffer.from('second');
      // The first record claims its data runs on through the second record's local header.
      const zip = craftZip([
        { name: 'a.txt', data: first, declaredCompressedSize: first.length + 30, declaredUncompressedSize: first.length + 30 },
        { name: 'b.txt', data: second },
      ]);
      await expectRejected(readArchive(zip), 'overlapping_entries', 'a.txt');
    });

    it('data that runs into the central directory', async () => {
      const data = Buffer.from('tail');
      const zip = craftZip([{ name: 'a.txt', data, declaredCompressedSize: data.length + 20, declaredUncompressedSize: data.length + 20 }]);
      await expectRejected(readArchive(zip), 'overlapping_entries', 'a.txt');
    });

    it('a local entry that no central directory record owns (seen only by streaming extractors)', async () => {
      const hiddenFirst = craftZip([{ name: '../../evil.sh', data: Buffer.from('pwned'), hidden: true }, { name: 'fine.txt', data: Buffer.from('x') }]);
      await expectRejected(readArchive(hiddenFirst), 'corrupt');
      const hiddenBetween = craftZip([{ name: 'a.txt', data: Buffer.from('a') }, { name: 'evil', data: Buffer.from('x'), hidden: true }, { name: 'b.txt', data: Buffer.from('b') }]);
      await expectRejected(readArchive(hiddenBetween), 'corrupt', 'a.txt');
      const hiddenLast = craftZip([{ name: 'a.txt', data: Buffer.from('a') }, { name: 'evil', data: Buffer.from('x'), hidden: true }]);
      await expectRejected(readArchive(hiddenLast), 'corrupt', 'a.txt');
    });

    it('stray bytes between records', async () => {
      await expectRejected(readArchive(craftZip([{ name: 'a.txt', data: Buffer.from('a'), trailingJunk: Buffer.alloc(16) }, { name: 'b.txt' }])), 'corrupt', 'a.txt');
    });

    it('a local header whose name differs from the central directory', async () => {
      const zip = craftZip([{ name: 'innocent.txt', localName: '../../evil.sh', data: Buffer.from('x') }]);
      await expectRejected(readArchive(zip), 'corrupt', 'innocent.txt');
    });

    it('a CRC-32 mismatch', async () => {
      await expectRejected(readArchive(craftZip([{ name: 'a.txt', data: Buffer.from('hello'), declaredCrc32: 1234 }])), 'corrupt', 'a.txt');
    });

    it('invalid deflate data', async () => {
      const zip = craftZip([{ name: 'a.txt', compressed: { method: 8, bytes: Buffer.from([0xff, 0xff, 0xff, 0xff]), uncompressedSize: 10, crc32: 0 } }]);
      await expectRejected(readArchive(zip), 'corrupt', 'a.txt');
    });

    it('truncated and mangled archives', async () => {
      const zip = await buildZip([{ name: 'a.txt', data: 'hello world'.repeat(100) }, { name: 'b.txt', data: 'more' }]);
      await expectRejected(readArchive(zip.subarray(0, zip.length - 10)), 'corrupt');
      await expectRejected(readArchive(zip.subarray(0, Math.floor(zip.length / 2))), 'corrupt');
      const mangled = Buffer.from(zip);
      mangled.fill(0x41, 40, 80);
      await expectRejected(readArchive(mangled), 'corrupt');
    });

    it('a directory entry with content, and a regular file named like a directory', async () => {
      await expectRejected(readArchive(craftZip([{ name: 'dir/', data: Buffer.from('hidden') }])), 'corrupt', 'dir/');
      await expectRejected(readArchive(craftZip([{ name: 'dir/', unixMode: S_IFREG | 0o644 }])), 'invalid_name', 'dir/');
    });
  });
});

/** Appends an extra field to the (single) central directory record of a crafted zip. */
function withCentralExtraField(zip: Buffer, extra: Buffer): Buffer {
  const eocd = zip.length - 22;
  const cdOffset = zip.readUInt32LE(eocd + 16);
  const cdSize = zip.readUInt32LE(eocd + 12);
  const record = Buffer.from(zip.subarray(cdOffset, cdOffset + cdSize));
  record.writeUInt16LE(extra.length, 30);
  const end = Buffer.from(zip.subarray(eocd));
  end.writeUInt32LE(cdSize + extra.length, 12);
  return Buffer.concat([zip.subarray(0, cdOffset), record, extra, end]);
}
