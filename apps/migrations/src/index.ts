export { migrate, migrationNames, MigrationError, type MigrateResult } from './migrate';
export { loadMigrationsEnv } from './env';
