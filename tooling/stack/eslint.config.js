// Plain CommonJS on Node 20: the recommended rules with Node's and jest's globals.
const js = require('@eslint/js');

const node = Object.fromEntries(
  ['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'URL', 'fetch', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'].map((g) => [g, 'readonly']),
);
const jest = Object.fromEntries(['test', 'expect', 'beforeAll', 'afterAll', 'beforeEach', 'afterEach', 'describe'].map((g) => [g, 'readonly']));

module.exports = [
  { ignores: ['node_modules/**'] },
  js.configs.recommended,
  { languageOptions: { sourceType: 'commonjs', ecmaVersion: 2023, globals: node } },
  { files: ['test/**/*.js'], languageOptions: { globals: jest } },
];
