'use strict';
// The GitLab REST emulator (packages/gitlab-emulator), only once it has been built.
const fs = require('node:fs');
const path = require('node:path');
const { spawnDetached } = require('../proc');
const { httpRequest, HOST } = require('../net');
const { REPO_ROOT } = require('../state');

const DEFAULT_MAIN = path.join(REPO_ROOT, 'packages', 'gitlab-emulator', 'dist', 'main.js');
const mainOf = (ctx) => ctx.env.COMPUTOR_GITLAB_EMULATOR_MAIN || DEFAULT_MAIN;

const url = (ctx) => `http://${HOST}:${ctx.state.ports.gitlab}`;

const gitlab = {
  name: 'gitlab',
  portKeys: ['gitlab'],
  startTimeoutMs: 20_000,
  marker: (ctx) => `--state-file ${path.join(ctx.l.serviceDir('gitlab'), 'state.json')} `,

  enabled: (ctx) => (fs.existsSync(mainOf(ctx)) ? { enabled: true } : { enabled: false, reason: `${path.relative(REPO_ROOT, mainOf(ctx))} not built (pnpm build)` }),

  async start(ctx) {
    const dir = ctx.l.serviceDir('gitlab');
    fs.mkdirSync(dir, { recursive: true });
    const args = [mainOf(ctx), '--port', String(ctx.state.ports.gitlab), '--host', HOST, '--token', ctx.state.gitlabToken, '--state-file', path.join(dir, 'state.json')];
    // GITLAB_EMULATOR_* variables (latency, faults, fork delays) pass through; the flags above win.
    const pid = spawnDetached(process.execPath, args, { env: ctx.env, cwd: dir, logFile: ctx.l.logFile('gitlab') });
    return { pid };
  },

  async health(ctx) {
    const res = await httpRequest(`${url(ctx)}/__emulator/health`);
    if (!res) return { healthy: false, detail: 'no HTTP answer' };
    return res.status === 200 ? { healthy: true } : { healthy: false, detail: `/__emulator/health answered ${res.status}` };
  },

  env(ctx) {
    if (!ctx.state.ports.gitlab) return {};
    return { GITLAB_URL: url(ctx), GITLAB_TOKEN: ctx.state.gitlabToken, GITLAB_EMULATOR: 'true', ...(ctx.state.tokenSecret ? { TOKEN_SECRET: ctx.state.tokenSecret } : {}) };
  },

  describe(ctx) {
    return { address: `${HOST}:${ctx.state.ports.gitlab}`, url: url(ctx), stateFile: path.join(ctx.l.serviceDir('gitlab'), 'state.json') };
  },
};

module.exports = { gitlab };
