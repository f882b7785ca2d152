export { loadStackEnv, repoRoot, stackControl, stackDir, stackEnvPath } from './stack-env';
export { createTestUser, stackDb, stackStorage, stackTemporal, testLogger, uniq } from './services';
export { spawnProcess, type SpawnedProcess } from './process';
export { createCourseFixture, startWorkerProcess, type CourseFixture, type Role, type WorkerProcessOptions } from './fixtures';

/** Module path of the test-only workflows (for `computor worker start --workflows`). */
export const TEST_WORKFLOWS_PATH = require.resolve('./workflows');
export { createContentFixture, uploadExampleFixture, type ExampleFixture } from './examples';
export { commitFiles, until } from './wait';
export { historyOutline } from './history';
