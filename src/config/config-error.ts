/**
 * The error a configuration problem is reported with. A module of its own so that the sinks, whose settings
 * the configuration loader reads through their registry, can throw it without importing the loader.
 */
export class ConfigError extends Error {
  readonly code = 'HOSTWARD_CONFIG_INVALID';
  constructor(
    readonly key: string,
    problem: string,
    readonly source = 'configuration',
  ) {
    super(`${source}: ${key}: ${problem}`);
  }
}
