// Paths other packages need (the migrations app runs the CLI against these).
const path = require('node:path');

module.exports = {
  prismaDir: __dirname,
  schemaPath: path.join(__dirname, 'schema.prisma'),
  configPath: path.join(__dirname, 'prisma.config.ts'),
  migrationsDir: path.join(__dirname, 'migrations'),
  prismaCli: require.resolve('prisma/build/index.js'),
  unrefTimersPreload: path.join(__dirname, 'unref-timers.js'),
};
