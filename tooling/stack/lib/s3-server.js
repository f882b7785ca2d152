#!/usr/bin/env node
'use strict';
// The detached S3 server process of the stack: s3rver on a directory, with the stack's buckets
// created at start. Usage: node s3-server.js --port <p> --address <ip> --directory <dir> --buckets a,b
const S3rver = require('s3rver');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main() {
  const buckets = arg('buckets', 'computor').split(',').filter(Boolean);
  const server = new S3rver({
    address: arg('address', '127.0.0.1'),
    port: Number(arg('port', '4568')),
    directory: arg('directory'),
    silent: false,
    // Path-style only: with vhost buckets on, any hostname other than an IP or localhost (say
    // host.docker.internal) would be taken for a bucket name.
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { address, port } = await server.run();
  console.log(`s3rver listening on http://${address}:${port} with buckets ${buckets.join(', ')}`);
  let closing = false;
  const shutdown = (sig) => {
    if (closing) return;
    closing = true;
    console.log(`s3rver: ${sig}, closing`);
    server.close().then(() => process.exit(0), () => process.exit(1));
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
