import { stripCommonRoot } from './strip-common-root';

const paths = (files: Array<{ path: string }>): string[] => files.map((file) => file.path);

describe('stripCommonRoot', () => {
  it('removes one shared top-level folder and keeps the other fields', () => {
    const data = Buffer.from('x');
    const stripped = stripCommonRoot([
      { path: 'project/a.py', data, mode: 0o644 },
      { path: 'project/lib/b.py', data, mode: 0o755 },
    ]);
    expect(stripped).toEqual([
      { path: 'a.py', data, mode: 0o644 },
      { path: 'lib/b.py', data, mode: 0o755 },
    ]);
  });

  it('strips a single level only', () => {
    expect(paths(stripCommonRoot([{ path: 'a/b/c.txt' }, { path: 'a/b/d.txt' }]))).toEqual(['b/c.txt', 'b/d.txt']);
  });

  it.each([
    [['a.py', 'project/b.py']],
    [['one/a.py', 'two/b.py']],
    [['project/a.py', 'projectX/b.py']],
    [['top.txt']],
    [[]],
  ])('leaves %j alone', (input) => {
    expect(paths(stripCommonRoot(input.map((path) => ({ path }))))).toEqual(input);
  });
});
