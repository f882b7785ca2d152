'use strict';
// Port allocation and network probes.
const net = require('node:net');
const http = require('node:http');

const HOST = '127.0.0.1';

function listenOnce(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen({ port, host: HOST, exclusive: true }, () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
  });
}

/** True when nothing listens on 127.0.0.1:port (binding it succeeds). */
async function isPortFree(port) {
  return (await listenOnce(port)) === port;
}

/** A free port the kernel hands out, not in `avoid` (ports other services of the stack keep). */
async function freePort(avoid = new Set()) {
  for (let i = 0; i < 50; i += 1) {
    const port = await listenOnce(0);
    if (port && !avoid.has(port)) return port;
  }
  throw new Error('could not find a free TCP port on 127.0.0.1');
}

/** Resolves true when a TCP connection to host:port is accepted within timeoutMs. */
function canConnect(port, { host = HOST, timeoutMs = 1_000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A small HTTP request without keep-alive; resolves { status, body } or null on any error. */
function httpRequest(url, { method = 'GET', timeoutMs = 2_000, body } = {}) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent: false, timeout: timeoutMs }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

module.exports = { HOST, isPortFree, freePort, canConnect, httpRequest };
