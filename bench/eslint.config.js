const js = require('@eslint/js');

module.exports = [
  { ignores: ['results/**'] },
  js.configs.recommended,
  { languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly' } } },
];
