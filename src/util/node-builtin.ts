/**
 * Node built-ins for modules that must also load in a browser (readers, the Predictor): taken through
 * process.getBuiltinModule (Node >= 20.16), synchronous and invisible to bundlers, so a page bundle never sees an
 * `import('node:fs')` it cannot resolve. In a browser the functions that need them throw a ConfigError instead.
 */
import { ConfigError } from '../errors.js';

type GetBuiltinModule = (id: string) => unknown;

export function nodeBuiltin<T>(id: `node:${string}`, purpose: string): T {
  const get = (globalThis.process as { getBuiltinModule?: GetBuiltinModule } | undefined)?.getBuiltinModule;
  if (get === undefined)
    throw new ConfigError(
      `${purpose} needs Node >= 20.16 (${id}); in a browser, pass bytes or a URL instead`,
    );
  return get(id) as T;
}
