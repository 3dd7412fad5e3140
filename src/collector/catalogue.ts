/**
 * The check catalogue as the collector sees it: data (id, title, severity, references, remediation), handed in by
 * whoever starts the collector. The command line builds it once from the probe registry (`hostward checks` prints
 * the same entries), so the collector loads no probe code and a check added to a probe reaches the fleet page and
 * the sinks' texts without a change here.
 */
import type { CheckInfo } from '../contracts.js';

export interface CheckCatalogue {
  /** The check's entry (remediation and references for the fleet page's group view). */
  info(check: string): CheckInfo | undefined;
  /** The check's remediation (the text `hostward checks` prints), or undefined when it has none. */
  remediation(check: string): string | undefined;
}

export function checkCatalogue(entries: readonly CheckInfo[]): CheckCatalogue {
  const byId = new Map(entries.map((c) => [c.id, c]));
  return {
    info: (check) => byId.get(check),
    remediation: (check) => byId.get(check)?.remediation || undefined,
  };
}
