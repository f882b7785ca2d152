#!/usr/bin/env node
'use strict';
// The detached S3 server process of the stack: s3rver on a directory, with the stack's buckets
// created at start. Usage: node s3-server.js --port <p> --address <ip> --directory <dir> --buckets a,b
const fs = require('node:fs');
const path = require('node:path');

// s3rver lists a prefix by walking the bucket from its root, stat()ing every entry of each
// directory it passes: with thousands of hand-ins under submissions/, each ListObjectsV2 of one
// hand-in's prefix cost about 30 ms of CPU (19 s in a 600-push burst, as much as Temporal). Two
// patches, applied before s3rver loads (its store takes `walk` at require time; s3rver 3.7.1 is
// pinned): the walk takes entry types from readdir instead of a stat each, and a list starts at
// the prefix's deepest directory (keys are stored as paths, so every key under the prefix lives
// there). Same keys, same order.
const utils = require('s3rver/lib/utils');
/** The list being served: its bucket directory and prefix (set only while its walk runs). */
let listing = null;
utils.walk = function* walk(dir, recurseFilter) {
  let start = dir;
  const cut = listing && dir === listing.bucketPath ? listing.prefix.lastIndexOf('/') : -1;
  if (cut > 0) {
    start = path.posix.join(dir, FilesystemStore.encodeKeyPath(listing.prefix.slice(0, cut)));
    if (!fs.existsSync(start) || (recurseFilter && !recurseFilter(start))) return;
  }
  listing = null;
  yield* walkFrom(start, recurseFilter);
};
function* walkFrom(dir, recurseFilter) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const filePath = path.posix.join(dir, entry.name);
    if (!entry.isDirectory()) yield filePath;
    else if (!recurseFilter || recurseFilter(filePath)) yield* walkFrom(filePath, recurseFilter);
  }
}
// Loaded after the walk is replaced: it takes `walk` from utils as it loads.
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const listObjects = FilesystemStore.prototype.listObjects;
FilesystemStore.prototype.listObjects = function (bucket, options) {
  // The original walks synchronously, before its first await: the hint serves this list only.
  listing = { bucketPath: this.getBucketPath(bucket), prefix: options?.prefix ?? '' };
  try {
    return listObjects.call(this, bucket, options);
  } finally {
    listing = null;
  }
};
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
    // A log line per request costs s3rver (a Node process on the same cores as everything else)
    // CPU in a hand-in burst; --log-requests (COMPUTOR_STACK_S3_LOG=requests) turns it back on.
    silent: !process.argv.includes('--log-requests'),
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
