// Preloaded into the Prisma CLI: its WebAssembly schema engine leaves a 10 s timer running after
// the work is done, which holds the process open. Unref'd timers still fire while the CLI waits on
// its database sockets, so only the idle tail is cut. The migrations app verifies the outcome
// against _prisma_migrations afterwards, so an early exit could never pass as success.
const originalSetTimeout = global.setTimeout;
global.setTimeout = function setTimeoutUnref(...args) {
  const timer = originalSetTimeout.apply(this, args);
  if (timer && typeof timer.unref === 'function') timer.unref();
  return timer;
};
