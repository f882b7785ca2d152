// Copies non-TypeScript runtime assets (the Python driver) next to the compiled output.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const assets = [['src/languages/python/driver.py', 'dist/languages/python/driver.py']];

for (const [from, to] of assets) {
  const target = path.join(root, to);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(root, from), target);
}
