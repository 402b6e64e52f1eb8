/**
 * A tiny event hub: `on(name, fn)` registers (null removes), `emit(name, ...args)` calls.
 * Shared by the player, the stream and the editor so every component speaks the same way.
 */
export function createHub() {
  const handlers = new Map();
  return {
    on(name, fn) {
      if (fn === null) handlers.delete(name);
      else handlers.set(name, [...(handlers.get(name) || []), fn]);
    },
    emit(name, ...args) {
      for (const fn of handlers.get(name) || []) fn(...args);
    },
  };
}
