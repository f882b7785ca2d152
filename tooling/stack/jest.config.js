// Unit tests: plain CommonJS, so no transform.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.js'],
  testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.js$'],
  transform: {},
};
