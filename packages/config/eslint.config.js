const { base } = require('@computor/eslint-config');

module.exports = base;
