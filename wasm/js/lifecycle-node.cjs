'use strict';
// The client's lifecycle in Node and Bun (see js/client-core.mjs): process exit and warnings.
//
// A script that queues datapoints and never calls close() must not end silently with them unsent. When
// the event loop runs dry ('beforeExit'), every client that still holds datapoints starts its close()
// (delivering within its `timeout`), which keeps the process alive until it settles; 'beforeExit' then
// comes again with nothing left. A process that exits anyway (process.exit(), a fatal error, a timeout)
// gets one line on stderr per client saying how many datapoints it leaves undelivered.

const live = new Set();
let hooked = false;

function onBeforeExit() {
  for (const hooks of [...live]) hooks.beforeExit();
}

function onExit() {
  for (const hooks of [...live]) hooks.exit();
}

function track(hooks) {
  live.add(hooks);
  if (!hooked) {
    hooked = true;
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
  }
  return () => live.delete(hooks);
}

// Outage warnings go through process.emitWarning (silenced by --no-warnings, seen by process.on('warning'));
// the exit line is written directly, since nothing asynchronous runs while the process exits.
function warn(message, { exiting = false } = {}) {
  if (exiting) process.stderr.write(`${message}\n`);
  else process.emitWarning(message, { type: 'CarbonPickleWarning', code: 'CARBON_PICKLE_UNDELIVERED' });
}

module.exports = { track, warn };
