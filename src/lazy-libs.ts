/**
 * Libraries loaded on first use. The agent imports every probe at start (for its catalogue and
 * config validation) but parses in the scan's child process; loading yaml and smol-toml eagerly would cost
 * every node's idle agent memory it never uses. One loader each, shared by the engine and the probes.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type * as SmolToml from 'smol-toml';
import type * as Pino from 'pino';

const load = createRequire(import.meta.url);
let yaml: typeof Yaml | undefined;
let toml: typeof SmolToml | undefined;
let pino: typeof Pino | undefined;

export function yamlLib(): typeof Yaml {
  return (yaml ??= load('yaml') as typeof Yaml);
}

export function tomlLib(): typeof SmolToml {
  return (toml ??= load('smol-toml') as typeof SmolToml);
}

/** pino, for the logger; a one-off scan loads it only when it writes a line (src/scan/log.ts). */
export function pinoLib(): typeof Pino {
  return (pino ??= load('pino') as typeof Pino);
}
