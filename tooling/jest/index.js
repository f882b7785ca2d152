// Jest preset: SWC transpiles (no type check; `tsc --noEmit` does that). Unit tests are `*.test.ts`,
// tests that talk to a server are `*.int.test.ts` and run with `--integration`-style config below.
const transform = {
  '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};

function unit(overrides = {}) {
  return {
    testEnvironment: 'node',
    transform,
    roots: ['<rootDir>/src'],
    testMatch: ['**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.int\\.test\\.ts$'],
    ...overrides,
  };
}

function integration(overrides = {}) {
  return {
    testEnvironment: 'node',
    transform,
    roots: ['<rootDir>/src'],
    testMatch: ['**/*.int.test.ts'],
    testTimeout: 120_000,
    maxWorkers: 1,
    ...overrides,
  };
}

module.exports = { unit, integration };
