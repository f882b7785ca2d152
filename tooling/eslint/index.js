// Shared flat config. `workflowSandbox` adds the rules that keep workflow code deterministic:
// no Node built-ins, no clients of the outside world, activities imported as types only.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const base = tseslint.config(
  { ignores: ['dist/**', 'src/generated/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' }],
    },
  },
  // Tests poke at untyped JSON bodies and failure chains.
  { files: ['**/*.test.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);

const forbiddenInWorkflows = [
  { group: ['node:*'], message: 'Workflow code runs in the Temporal sandbox: no Node built-ins.' },
  { group: ['@temporalio/client', '@temporalio/activity', '@temporalio/worker', '@temporalio/testing'], message: 'Workflows may only use @temporalio/workflow.' },
  { group: ['@prisma/*', '@computor/db', '@computor/storage', '@computor/gitlab', '@computor/grader', '@computor/logger'], message: 'Side effects belong in activities.' },
];
const nodeBuiltins = require('node:module').builtinModules.filter((m) => !m.startsWith('_'));

const workflowSandbox = [
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: nodeBuiltins.map((name) => ({ name, message: 'No Node built-ins in workflow code.' })), patterns: forbiddenInWorkflows }],
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: '@computor/activities', allowTypeImports: true, message: 'Import activities with `import type` only.' }] }],
    },
  },
];

module.exports = { base, workflowSandbox };
