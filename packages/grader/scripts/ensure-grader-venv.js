// Jest globalSetup for the integration tests: graded Python code needs the grader venv
// (numpy, scipy, matplotlib). The setup script is idempotent and fast when nothing changed.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function ensureGraderVenv() {
  const script = path.resolve(__dirname, '../../../tooling/python/setup-grader-venv.sh');
  execFileSync('bash', [script], { stdio: 'inherit' });
};
