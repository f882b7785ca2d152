const { base, workflowSandbox } = require('@computor/eslint-config');

module.exports = [...base, ...workflowSandbox];
