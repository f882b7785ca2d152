module.exports = require('@computor/jest-config').integration();
