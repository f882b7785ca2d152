module.exports = require('@computor/jest-config').unit();
