/**
 * The sinks configured for this collector, built (and validated) at start: a sink whose configuration is
 * wrong fails the start loudly rather than being silently left out. The next sinks (Slack, PagerDuty,
 * Alertmanager) register here.
 */
import type { CollectorConfig } from '../config/config.js';
import { pagerdutySinkFromConfig } from '../sinks/pagerduty.js';
import { slackSinkFromConfig } from '../sinks/slack.js';
import { fileSink } from './file-sink.js';
import type { Sink } from './sink.js';

export function createSinks(cfg: CollectorConfig): Sink[] {
  const sinks: Sink[] = [];
  if (cfg.fileSink) sinks.push(fileSink(cfg.fileSink));
  for (const s of [slackSinkFromConfig(cfg), pagerdutySinkFromConfig(cfg)]) if (s) sinks.push(s);
  const names = new Set<string>();
  for (const s of sinks) {
    if (names.has(s.name)) throw new Error(`two sinks are named ${s.name}`);
    names.add(s.name);
  }
  return sinks;
}
