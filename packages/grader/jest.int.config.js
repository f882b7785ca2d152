module.exports = require('@computor/jest-config').integration({
  globalSetup: '<rootDir>/scripts/ensure-grader-venv.js',
});
