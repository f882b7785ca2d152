import { ArchiveError } from './errors';
import { normaliseMode, parseEntryPath } from './entry-path';
import { DEFAULT_ARCHIVE_LIMITS } from './limits';

const limits = DEFAULT_ARCHIVE_LIMITS;

function codeOf(name: string): string {
  try {
    parseEntryPath(name, limits);
  } catch (error) {
    if (error instanceof ArchiveError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('parseEntryPath', () => {
  it.each([
    ['src/main.py', 'src/main.py', false],
    ['./src/./main.py', 'src/main.py', false],
    ['a//b', 'a/b', false],
    ['dir/', 'dir', true],
    ['./', '', true],
    ['dir\\sub\\file.txt', 'dir/sub/file.txt', false],
    ['ünïcödé/файл.txt', 'ünïcödé/файл.txt', false],
    ['...', '...', false],
    ['a/..b/c..', 'a/..b/c..', false],
  ])('accepts %j as %j', (raw, path, trailingSlash) => {
    expect(parseEntryPath(raw, limits)).toEqual({ path, trailingSlash });
  });

  it.each([
    ['../evil', 'path_traversal'],
    ['../../etc/passwd', 'path_traversal'],
    ['a/../../evil', 'path_traversal'],
    ['a/../b', 'path_traversal'],
    ['..\\..\\evil', 'path_traversal'],
    ['a\\..\\..\\evil', 'path_traversal'],
    ['..', 'path_traversal'],
    ['/etc/passwd', 'absolute_path'],
    ['\\windows\\evil', 'absolute_path'],
    ['//server/share/x', 'absolute_path'],
    ['C:/Windows/evil', 'absolute_path'],
    ['c:\\evil', 'absolute_path'],
    ['D:evil', 'absolute_path'],
    ['a\0b', 'invalid_name'],
    ['evil.txt\0.png', 'invalid_name'],
    ['line\nbreak', 'invalid_name'],
    ['del\x7f', 'invalid_name'],
    ['', 'invalid_name'],
    ['.', 'invalid_name'],
    ['./.', 'invalid_name'],
    [`${'a'.repeat(256)}`, 'invalid_name'],
    [`${'abcdefghijklmnopqrstuvwxyz/'.repeat(10)}x`, 'invalid_name'],
    [`${'d/'.repeat(16)}f`, 'invalid_name'],
  ])('rejects %j with %s', (raw, code) => {
    expect(codeOf(raw)).toBe(code);
  });

  it('counts path length in UTF-8 bytes and depth in segments, at the configured limits', () => {
    expect(parseEntryPath(`${'d/'.repeat(15)}f`, limits).path).toBe(`${'d/'.repeat(15)}f`);
    expect(() => parseEntryPath('ü'.repeat(128), limits)).toThrow(ArchiveError);
    expect(parseEntryPath('ü'.repeat(127), limits).path).toHaveLength(127);
    expect(() => parseEntryPath('a/b/c', { maxPathLength: 4, maxDepth: 16 })).toThrow(/longer than 4 bytes/);
    expect(() => parseEntryPath('a/b/c', { maxPathLength: 255, maxDepth: 2 })).toThrow(/deeper than 2 segments/);
  });

  it('reports the raw entry name on the error', () => {
    expect(() => parseEntryPath('x/../../y', limits)).toThrow(expect.objectContaining({ code: 'path_traversal', entry: 'x/../../y' }));
  });
});

describe('normaliseMode', () => {
  it.each([
    [0o644, 0o644],
    [0o600, 0o644],
    [0o777, 0o755],
    [0o4755, 0o755],
    [0o2666, 0o644],
    [0o1777, 0o755],
    [0o100, 0o755],
    [0, 0o644],
  ])('%o becomes %o', (input, output) => {
    expect(normaliseMode(input)).toBe(output);
  });
});
