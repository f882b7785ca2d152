import { gzipSync } from 'node:zlib';
import { detectArchiveFormat } from './detect-format';
import { ArchiveError } from './errors';
import { buildTar, buildZip } from './fixtures/build';

describe('detectArchiveFormat', () => {
  it('recognises zip, empty zip, tar and tar.gz by content', async () => {
    expect(detectArchiveFormat(await buildZip([{ name: 'a.txt', data: 'a' }]))).toBe('zip');
    expect(detectArchiveFormat(await buildZip([]))).toBe('zip');
    const tar = await buildTar([{ name: 'a.txt', data: 'a' }]);
    expect(detectArchiveFormat(tar)).toBe('tar');
    expect(detectArchiveFormat(gzipSync(tar))).toBe('tar.gz');
  });

  it.each([
    ['empty input', Buffer.alloc(0)],
    ['text', Buffer.from('hello world, not an archive')],
    ['a PDF', Buffer.from('%PDF-1.7\n')],
    ['a 7z archive', Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4])],
    ['a bzip2 stream', Buffer.from('BZh91AY&SY')],
    ['a Windows executable (self-extracting zip)', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)])],
    ['a v7 tar without ustar magic', Buffer.alloc(1024)],
  ])('refuses %s as unsupported_format', (_label, input) => {
    expect(() => detectArchiveFormat(input)).toThrow(expect.objectContaining({ code: 'unsupported_format' }));
  });

  it('refuses a zip/tar polyglot', async () => {
    const tar = await buildTar([{ name: 'a.txt', data: 'a' }]);
    tar.write('PK\x03\x04', 0, 'latin1');
    expect(() => detectArchiveFormat(tar)).toThrow(ArchiveError);
  });
});
