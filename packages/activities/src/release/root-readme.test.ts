import { releaseDiff, renderRootReadme } from './root-readme';

describe('renderRootReadme', () => {
  it('lists assignments by position, then path, and is stable', () => {
    const entries = [
      { path: 'week2.b', title: 'B', directory: 'b', position: 2 },
      { path: 'week1.a', title: 'A | x', directory: 'a', position: 1 },
    ];
    const text = renderRootReadme('Course', entries);
    expect(text).toBe(renderRootReadme('Course', [...entries].reverse()));
    expect(text.indexOf('week1.a')).toBeLessThan(text.indexOf('week2.b'));
    expect(text).toContain('[a](a/)');
    expect(text).toContain('A \\| x');
    expect(renderRootReadme('Course', [])).toContain('No assignments');
  });
});

describe('releaseDiff', () => {
  it('deletes only unwanted files under released directories', () => {
    expect(releaseDiff([{ filePath: 'a/x' }, { filePath: 'README.md' }], ['README.md', 'a/x', 'a/old', 'ab/y', 'b/z'], ['a'])).toEqual(['a/old']);
  });
});
