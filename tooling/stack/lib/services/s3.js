'use strict';
// s3rver (an S3-protocol server backed by a directory) as a detached Node process.
const fs = require('node:fs');
const path = require('node:path');
const { spawnDetached } = require('../proc');
const { httpRequest, HOST } = require('../net');

const SCRIPT = path.join(__dirname, '..', 's3-server.js');
// s3rver only accepts these credentials for signed requests.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const endpoint = (ctx) => `http://${HOST}:${ctx.state.ports.s3}`;

const s3 = {
  name: 's3',
  portKeys: ['s3'],
  startTimeoutMs: 20_000,
  marker: (ctx) => `--directory ${ctx.l.serviceDir('s3')} `,

  enabled: () => ({ enabled: true }),

  async start(ctx) {
    const dir = ctx.l.serviceDir('s3');
    fs.mkdirSync(dir, { recursive: true });
    // s3rver's list continuation tokens use DES, a legacy cipher OpenSSL 3 (Node 17+) only offers
    // with its legacy provider: without it, listing past 1,000 keys answers 500.
    const args = ['--openssl-legacy-provider', SCRIPT, '--address', HOST, '--port', String(ctx.state.ports.s3), '--directory', dir, '--buckets', ctx.state.s3Bucket];
    if (process.env.COMPUTOR_STACK_S3_LOG === 'requests') args.push('--log-requests');
    const pid = spawnDetached(process.execPath, args, { env: ctx.env, cwd: dir, logFile: ctx.l.logFile('s3') });
    return { pid };
  },

  async health(ctx) {
    // ListBuckets is a directory listing; HEAD on a bucket would list its objects.
    const res = await httpRequest(`${endpoint(ctx)}/`);
    if (!res) return { healthy: false, detail: 'no HTTP answer' };
    if (res.status !== 200) return { healthy: false, detail: `GET / answered ${res.status}` };
    if (!res.body.includes(`<Name>${ctx.state.s3Bucket}</Name>`)) return { healthy: false, detail: `bucket ${ctx.state.s3Bucket} missing` };
    return { healthy: true };
  },

  env(ctx) {
    if (!ctx.state.ports.s3) return {};
    return {
      S3_ENDPOINT: endpoint(ctx),
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      S3_BUCKET: ctx.state.s3Bucket,
      S3_FORCE_PATH_STYLE: 'true',
      S3_CHECKSUM_MODE: 'when_required',
    };
  },

  describe(ctx) {
    return { address: `${HOST}:${ctx.state.ports.s3}`, url: endpoint(ctx), bucket: ctx.state.s3Bucket, dataDir: ctx.l.serviceDir('s3') };
  },
};

module.exports = { s3 };
