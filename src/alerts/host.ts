/**
 * The host facts the agent sends with its events (AlertEvent.host): the scanned root's OS (os-release), the
 * kernel release, the machine's architecture and the agent's version, so that the collector's node page can say
 * what a node runs. Taken from the scan's report (which read them from the scanned root) and fitted to what the
 * collector accepts: unprintable characters replaced, prose shortened, an identifier that is not one left out.
 * A fact the scan could not read is left out rather than sent as "unknown".
 */
import { machine } from 'node:os';
import { HOST_FACT_LIMITS, HOST_FACT_TOKEN_RE, HOST_FACT_TOKENS, UNPRINTABLE_RE } from '../contracts.js';
import type { HostFacts, Report } from '../contracts.js';
import { shorten } from './limits.js';

const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE_RE.source, 'gu');

/** One fact as the collector takes it, or undefined when there is nothing honest to send. */
export function fitFact(key: keyof HostFacts, value: string | undefined): string | undefined {
  const v = value?.replace(UNPRINTABLE_ALL, '\uFFFD').trim();
  if (!v || v === 'unknown') return undefined;
  const max = HOST_FACT_LIMITS[key];
  if (HOST_FACT_TOKENS.includes(key)) return v.length <= max && HOST_FACT_TOKEN_RE.test(v) ? v : undefined;
  return shorten(v, max);
}

/** The report's host facts, fitted; undefined when none could be read. */
export function hostFactsOf(report: Report, arch: () => string = machine): HostFacts | undefined {
  const raw: Record<keyof HostFacts, string | undefined> = {
    osName: report.os.prettyName,
    osId: report.os.id,
    osVersion: report.os.versionId,
    kernel: report.os.kernel,
    arch: safe(arch),
    agentVersion: report.agentVersion,
  };
  const out: HostFacts = {};
  for (const k of Object.keys(raw) as (keyof HostFacts)[]) {
    const v = fitFact(k, raw[k]);
    if (v !== undefined) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function safe(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
