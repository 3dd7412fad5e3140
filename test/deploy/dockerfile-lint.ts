/**
 * The hadolint rules that apply to hostward's Dockerfile, implemented over a small instruction parser (no
 * hadolint binary here). Rule ids are hadolint's, so .hadolint.yaml can name them; hostward's own checks are
 * HW-prefixed.
 */

export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!.trim();
    if (l === '' || l.startsWith('#')) continue;
    const start = i + 1;
    while (l.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.trim();
      if (next.startsWith('#')) continue;
      l = l.slice(0, -1).trimEnd() + ' ' + next;
    }
    const m = /^(\w+)\s*(.*)$/.exec(l);
    if (m) out.push({ line: start, keyword: m[1]!.toUpperCase(), args: m[2]! });
  }
  return out;
}

const isJsonArray = (s: string) => {
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
};

export interface LintProblem {
  rule: string;
  line: number;
  message: string;
}

export function lintDockerfile(text: string, ignored: readonly string[] = []): LintProblem[] {
  const ins = parseDockerfile(text);
  const out: LintProblem[] = [];
  const add = (rule: string, line: number, message: string) => {
    if (!ignored.includes(rule)) out.push({ rule, line, message });
  };
  const stages = new Set<string>();
  let lastUser: Instruction | undefined;
  const finalStage = ins.map((x) => x.keyword).lastIndexOf('FROM');
  const labels = new Set<string>();
  for (const [idx, i] of ins.entries()) {
    switch (i.keyword) {
      case 'FROM': {
        const [image = '', as, name] = i.args.split(/\s+/);
        const fromStage = stages.has(image);
        if (as?.toUpperCase() === 'AS' && name) stages.add(name);
        if (fromStage) break;
        if (!image.includes('@') && !/:[^/]+$/.test(image))
          add('DL3006', i.line, `always tag the image explicitly: ${image}`);
        if (/:latest$/.test(image)) add('DL3007', i.line, `using latest is prone to errors: ${image}`);
        break;
      }
      case 'RUN': {
        const cmd = i.args;
        if (/\bapt-get\s+install\b/.test(cmd)) {
          if (!/--no-install-recommends/.test(cmd))
            add('DL3015', i.line, 'avoid additional packages: apt-get install --no-install-recommends');
          if (!/(-y|--yes|--assume-yes)\b/.test(cmd)) add('DL3014', i.line, 'use the -y switch with apt-get install');
          if (!/rm -rf \/var\/lib\/apt\/lists\/\*/.test(cmd))
            add('DL3009', i.line, 'delete the apt-get lists after installing something (same RUN)');
          if (!/apt-get update/.test(cmd))
            add('DL3009', i.line, 'apt-get update and install in the same RUN, or the cache is stale');
        }
        if (/\bapt-get\s+upgrade\b|\bapt-get\s+dist-upgrade\b/.test(cmd))
          add('DL3005', i.line, 'do not use apt-get upgrade or dist-upgrade');
        if (/\bsudo\b/.test(cmd)) add('DL3004', i.line, 'do not use sudo');
        if (/(^|&&|;)\s*cd\s/.test(cmd)) add('DL3003', i.line, 'use WORKDIR to switch to a directory');
        if (/\bnpm\s+(i|install)\b/.test(cmd)) add('HW001', i.line, 'use npm ci with the lockfile, not npm install');
        if (/\|/.test(cmd.replace(/\|\|/g, '')) && !/set -o pipefail/.test(cmd))
          add('DL4006', i.line, 'set -o pipefail before RUN with a pipe');
        if (/\bcurl\b.*\|\s*(sh|bash)\b/.test(cmd)) add('HW002', i.line, 'do not pipe downloads into a shell');
        break;
      }
      case 'WORKDIR':
        if (!i.args.startsWith('/') && !i.args.startsWith('$'))
          add('DL3000', i.line, `use absolute WORKDIR: ${i.args}`);
        break;
      case 'ADD':
        add('DL3020', i.line, 'use COPY instead of ADD for files and folders');
        break;
      case 'COPY':
        if (/--from=/.test(i.args)) {
          const from = /--from=(\S+)/.exec(i.args)![1]!;
          if (!stages.has(from))
            add('DL3022', i.line, `COPY --from should reference a previously defined FROM alias: ${from}`);
        }
        break;
      case 'ENTRYPOINT':
      case 'CMD':
        if (!isJsonArray(i.args)) add('DL3025', i.line, `use arguments JSON notation for ${i.keyword}`);
        break;
      case 'USER':
        lastUser = i;
        break;
      case 'HEALTHCHECK':
        add('HW003', i.line, 'no HEALTHCHECK: Kubernetes probes /healthz and /readyz');
        break;
      case 'ENV':
      case 'ARG':
        if (/\b\w*(TOKEN|PASSWORD|SECRET|API_KEY|ROUTING_KEY)\w*\s*=/.test(i.args))
          add('HW004', i.line, 'no secrets in ENV or ARG: they stay in the image');
        break;
      case 'LABEL':
        if (idx > finalStage) for (const m of i.args.matchAll(/([\w.-]+)=/g)) labels.add(m[1]!);
        break;
      case 'MAINTAINER':
        add('DL4000', i.line, 'MAINTAINER is deprecated');
        break;
    }
  }
  if (lastUser && /^(root|0)(:.*)?$/.test(lastUser.args.trim()))
    add('DL3002', lastUser.line, 'last USER should not be root');
  for (const l of ['title', 'description', 'version', 'licenses', 'source']) {
    if (!labels.has(`org.opencontainers.image.${l}`))
      add('HW005', 0, `final image lacks the OCI label org.opencontainers.image.${l}`);
  }
  if (!ins.some((i) => i.keyword === 'ENTRYPOINT')) add('HW006', 0, 'no ENTRYPOINT');
  return out;
}
