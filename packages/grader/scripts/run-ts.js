// `node scripts/run-ts.js <code>`: runs JavaScript that may require this package's TypeScript
// sources (transpiled on require, no type check). Tests use it for a second process: two uid
// pools over one range, a worker killed with SIGKILL in the middle of a sandboxed run.
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};

new Function('require', process.argv[2])(require);
