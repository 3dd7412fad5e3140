/**
 * `hostward --help` and `hostward COMMAND --help`: what each command does and every flag it takes.
 */
import { VERSION } from '../version.js';

const EXIT_CODES = `Exit codes: 0 nothing failing at or above --fail-on, 1 such a failure, 2 a usage or configuration error
(nothing scanned).`;

export const COMMAND_HELP: Record<string, string> = {
  scan: `Usage: hostward scan [flags]

Scans this host (or the host root given) once and prints what to fix first.

Flags:
  --root DIR            where the host's file system is mounted (default /; /host in the DaemonSet);
                        must be an existing directory
  --probe NAME          run only this probe (repeatable); \`hostward checks\` lists them
  --check PATTERN       report only checks whose id matches (repeatable; * and ? as in file names,
                        e.g. 'ssh.*')
  --skip PATTERN        leave out checks whose id matches (repeatable; applied after --check)
  --format FORMAT       table (default, for people), json (the finding contract), sarif (SARIF 2.1.0 for
                        code scanning), junit (JUnit XML for CI test reports)
  --output FILE         write the report to FILE instead of standard output (written whole, then renamed)
  --fail-on SEVERITY    exit 1 when a check fails at or above this: critical, high (default), medium, low, info
  --config FILE         configuration file (YAML; the README shows an example)
  -q, --quiet           table: print only the failing checks and their fixes
  -v, --verbose         table: also list each passing and each skipped check
  -h, --help            this text

Colour follows severity on a terminal; NO_COLOR or a pipe turns it off.
${EXIT_CODES}`,

  checks: `Usage: hostward checks [flags]

Lists the checks hostward knows (the catalogue, docs/checks.md).

Flags:
  --format FORMAT       table (default), json or markdown
  --probe NAME          only this probe's checks (repeatable)
  -h, --help            this text`,

  explain: `Usage: hostward explain CHECK

Says what a check verifies, how severe a failure is, how to fix it, and where the requirement comes from.

Flags:
  -h, --help            this text`,

  agent: `Usage: hostward agent [flags]

The DaemonSet's long-running mode: scans at start and on a schedule, serves /metrics, /healthz, /readyz and
/v1/report, and sends alert events to the collector when one is configured.

Flags:
  --root DIR            where the host's file system is mounted (default /; /host in the DaemonSet)
  --port N              port to listen on (default 9750; 0 picks a free one)
  --config FILE         configuration file (YAML; the README shows an example)
  --web.config.file FILE
                        TLS and authentication of /metrics and /v1/report, in exporter-toolkit's format
                        (HOSTWARD_WEB_CONFIG_FILE; without it /v1/report is refused)
  -h, --help            this text`,

  collector: `Usage: hostward collector [flags]
       hostward collector test-sink NAME [--config FILE]

The central collector: receives agents' alert events, keeps fleet state, routes alerts to the sinks and serves
the fleet page. \`test-sink NAME\` sends one test notification through a configured sink (exit 0 accepted,
1 not).

Flags:
  --port N              port to listen on (default 9751; 0 picks a free one)
  --config FILE         configuration file (YAML; the README shows an example)
  -h, --help            this text`,

  integrity: `Usage: hostward integrity init|check|accept [flags]

Tripwire-style file integrity: init writes the baseline, check compares the files with it, accept takes the
current state as the new baseline (all of it, or the paths given with --only).

Flags:
  --root DIR            where the host's file system is mounted (default /, or HOSTWARD_ROOT)
  --policy FILE         the integrity policy (default: the built-in one)
  --path P              track P recursively with every property instead of a policy (repeatable)
  --hash ALGO           with --path: sha256 (default), sha512 or blake2b512
  --only P              check/accept: only these paths (repeatable)
  --min-generation N    init: the new baseline's generation is at least N (to rebuild past the highest the
                        collector saw for this node, after a rollback or a wiped state directory)
  --db FILE             the baseline database (default /var/lib/hostward/integrity.db)
  --key-file FILE       the HMAC key that signs the baseline (or HOSTWARD_INTEGRITY_KEY_FILE)
  --format FORMAT       table (default) or json
  -h, --help            this text

Exit codes (check): 0 nothing differs, 1 something differs or the baseline cannot be trusted, 2 usage errors.`,

  version: `Usage: hostward version

Prints hostward's version.`,
};

export const USAGE = `hostward ${VERSION}: host hardening agent for Kubernetes nodes

Usage:
  hostward scan [--root DIR] [--probe NAME]... [--check PATTERN]... [--skip PATTERN]...
                [--format table|json|sarif|junit] [--output FILE] [--fail-on SEVERITY] [--config FILE] [-q|-v]
  hostward checks [--format table|json|markdown] [--probe NAME]...
  hostward explain CHECK
  hostward agent [--root DIR] [--port N] [--config FILE] [--web.config.file FILE]
  hostward collector [--port N] [--config FILE]
  hostward collector test-sink NAME [--config FILE]
  hostward integrity init|check|accept [--root DIR] [--policy FILE | --path P... [--hash ALGO]] [--only P...]
                [--db FILE] [--key-file FILE] [--format table|json]
  hostward version

\`hostward COMMAND --help\` describes each command's flags.
${EXIT_CODES}
`;

/** The help text of a command, or undefined for an unknown one. */
export function helpFor(command: string): string | undefined {
  const text = COMMAND_HELP[command];
  return text === undefined ? undefined : text + '\n';
}
