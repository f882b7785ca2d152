#!/usr/bin/env node
// `pnpm bench <name> [options]` runs bench/<name>.js. Benchmarks need the local stack (`pnpm stack up`)
// and a build (`pnpm build`); they print their figures and write bench/results/<name>.json.
const fs = require('node:fs');
const path = require('node:path');

const [name, ...rest] = process.argv.slice(2);
const available = fs.readdirSync(__dirname).filter((f) => f.endsWith('.js') && !['run.js', 'eslint.config.js', 'common.js'].includes(f)).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench <${available.join('|')}> [options]`);
  process.exit(2);
}
process.argv = [process.argv[0], path.join(__dirname, `${name}.js`), ...rest];
require(`./${name}.js`);
