/**
 * `hostward scan --format sarif`: SARIF 2.1.0, the format code-scanning services (GitHub, GitLab, Azure DevOps)
 * ingest. One rule per check of the catalogue that the scan reported, with its remediation as help text and its
 * references; one result per finding, its SARIF kind from the status (fail, open for unknown, notApplicable for
 * skip, pass), its level from the severity, and an accepted exception as an external suppression. Host paths
 * are relative to the scanned root (uriBaseId HOSTROOT).
 */
import type { Finding, Report, Severity, Status } from '../contracts.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
/** GitHub's `security-severity` scale (0-10), which it maps back to critical/high/medium/low. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.5',
};
const KIND: Record<Status, 'fail' | 'open' | 'notApplicable' | 'pass'> = {
  fail: 'fail',
  unknown: 'open',
  skip: 'notApplicable',
  pass: 'pass',
};

const INFORMATION_URI = 'https://github.com/hostward/hostward';

function rule(f: Finding) {
  const url = f.references.find((r) => /^https?:\/\//.test(r));
  return {
    id: f.check,
    name: f.check.replace(/(^|[._])(\w)/g, (_m, _s: string, c: string) => c.toUpperCase()),
    shortDescription: { text: f.title },
    fullDescription: { text: `${f.title} (${f.probe} probe). References: ${f.references.join('; ')}` },
    help: {
      text: f.remediation,
      markdown: `${f.remediation}\n\nReferences:\n${f.references.map((r) => `- ${r}`).join('\n')}`,
    },
    ...(url ? { helpUri: url } : {}),
    defaultConfiguration: { level: LEVEL[f.severity] },
    properties: {
      tags: ['security', f.probe],
      'security-severity': SECURITY_SEVERITY[f.severity],
      references: f.references,
    },
  };
}

function locations(f: Finding) {
  return f.evidence
    .filter((e) => e.file)
    .slice(0, 10)
    .map((e) => ({
      physicalLocation: {
        artifactLocation: { uri: encodeURI(e.file!.replace(/^\/+/, '')), uriBaseId: 'HOSTROOT' },
        ...(e.line !== undefined && e.line > 0
          ? { region: { startLine: e.line, ...(e.text ? { snippet: { text: e.text } } : {}) } }
          : {}),
      },
    }));
}

function result(f: Finding, ruleIndex: number) {
  const failing = f.status === 'fail';
  const r: Record<string, unknown> = {
    ruleId: f.check,
    ruleIndex,
    kind: KIND[f.status],
    level: failing ? LEVEL[f.severity] : 'none',
    message: { text: f.message || f.title },
  };
  const locs = locations(f);
  if (locs.length) r.locations = locs;
  if (f.exception)
    r.suppressions = [
      { kind: 'external', status: 'accepted', justification: `${f.exception.reason} (until ${f.exception.expires})` },
    ];
  r.properties = {
    severity: f.severity,
    status: f.status,
    evidence: f.evidence
      .map((e) => e.text ?? e.file ?? '')
      .filter(Boolean)
      .slice(0, 20),
  };
  return r;
}

export function renderSarif(report: Report): string {
  const ruleIndex = new Map<string, number>();
  const rules: ReturnType<typeof rule>[] = [];
  for (const f of report.findings) {
    if (ruleIndex.has(f.check)) continue;
    ruleIndex.set(f.check, rules.length);
    rules.push(rule(f));
  }
  const root = report.root.endsWith('/') ? report.root : `${report.root}/`;
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'hostward',
            version: report.agentVersion,
            semanticVersion: report.agentVersion,
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        originalUriBaseIds: {
          HOSTROOT: {
            uri: `file://${encodeURI(root)}`,
            description: { text: `the scanned host root of ${report.node}` },
          },
        },
        invocations: [
          {
            executionSuccessful: report.probes.every((p) => p.status === 'ok'),
            startTimeUtc: report.startedAt,
            endTimeUtc: new Date(Date.parse(report.startedAt) + report.durationSeconds * 1000).toISOString(),
            toolExecutionNotifications: report.probes
              .filter((p) => p.status === 'error')
              .map((p) => ({ level: 'error', message: { text: `probe ${p.probe} did not finish: ${p.error ?? ''}` } })),
          },
        ],
        results: report.findings.map((f) => result(f, ruleIndex.get(f.check)!)),
        properties: { node: report.node, os: report.os, summary: report.summary },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
