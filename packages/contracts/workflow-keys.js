// `@computor/contracts/workflow-keys`: the zod-free part of the contracts, for workflow code.
module.exports = require('./dist/workflow-keys');
