import path from 'node:path';
import { defineConfig } from 'prisma/config';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createMigrationAdapterFactory } = require('./adapter.js');

// The JS schema engine with a pg driver adapter: no native engine download, ever.
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(__dirname, 'schema.prisma'),
  migrations: { path: path.join(__dirname, 'migrations') },
  adapter: async () => createMigrationAdapterFactory(process.env.DATABASE_URL),
});
