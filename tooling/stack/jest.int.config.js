// Integration tests start the real stack (Temporal, PostgreSQL, s3rver) in a temporary dir.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.int.test.js'],
  transform: {},
  testTimeout: 180_000,
  maxWorkers: 1,
};
