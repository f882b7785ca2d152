import { contentTypeOf } from './content-type';

describe('contentTypeOf', () => {
  it.each([
    ['notes/week1.pdf', 'application/pdf'],
    ['README.md', 'text/markdown; charset=utf-8'],
    ['a/b/sheet.TXT', 'text/plain; charset=utf-8'],
    ['index.html', 'text/html; charset=utf-8'],
    ['img/plot.png', 'image/png'],
    ['photo.JPG', 'image/jpeg'],
    ['logo.svg', 'image/svg+xml'],
    ['bundle.zip', 'application/zip'],
    ['hello.py', 'text/x-python; charset=utf-8'],
  ])('%s is %s', (path, type) => {
    expect(contentTypeOf(path)).toBe(type);
  });

  it.each(['Makefile', '.gitignore', 'data.bin', 'dir.pdf/file', 'x.unknownext'])('%s is served as bytes', (path) => {
    expect(contentTypeOf(path)).toBe('application/octet-stream');
  });
});
