// The client's lifecycle in Deno (see js/client-core.mjs and js/lifecycle-node.cjs): Deno's 'beforeunload'
// comes when the event loop runs dry and may be cancelled to keep it running; 'unload' comes as it exits.

const live = new Set();
let hooked = false;

function onBeforeUnload(event) {
  for (const hooks of [...live]) hooks.beforeExit();
  // A close() started above holds a timer; cancelling makes Deno run the loop again instead of exiting.
  if (live.size > 0 && [...live].some((h) => h.pending?.())) event.preventDefault();
}

function onUnload() {
  for (const hooks of [...live]) hooks.exit();
}

export function track(hooks) {
  live.add(hooks);
  if (!hooked && typeof globalThis.addEventListener === 'function') {
    hooked = true;
    globalThis.addEventListener('beforeunload', onBeforeUnload);
    globalThis.addEventListener('unload', onUnload);
  }
  return () => live.delete(hooks);
}

export function warn(message) {
  console.error(message);
}
