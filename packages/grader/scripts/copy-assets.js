// Copies the languages' non-TypeScript runtime assets (drivers such as languages/python/driver.py,
// canary examples under languages/<id>/canary/) next to the compiled output.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const from = path.join(root, 'src', 'languages');
const to = path.join(root, 'dist', 'languages');

function copy(dir) {
  for (const entry of fs.readdirSync(path.join(from, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) copy(rel);
    else if (entry.isFile() && !/\.tsx?$/.test(entry.name)) {
      fs.mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
      fs.copyFileSync(path.join(from, rel), path.join(to, rel));
    }
  }
}
copy('');
