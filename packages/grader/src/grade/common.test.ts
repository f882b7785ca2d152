import { globToRegExp } from './common';

test('globs from test.yaml match relative paths', () => {
  expect(globToRegExp('*.py').test('a.py')).toBe(true);
  expect(globToRegExp('*.py').test('src/a.py')).toBe(false);
  expect(globToRegExp('**/*.py').test('src/deep/a.py')).toBe(true);
  expect(globToRegExp('results.json').test('results.json')).toBe(true);
  expect(globToRegExp('results.json').test('resultsXjson')).toBe(false);
  expect(globToRegExp('data?.csv').test('data1.csv')).toBe(true);
});
