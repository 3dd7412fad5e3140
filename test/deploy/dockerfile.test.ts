/**
 * The Dockerfile against hadolint's applicable rules (test/deploy/dockerfile-lint.ts) with the ignores of
 * .hadolint.yaml, each of which must give its reason; and against the chart (ports, host root).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { lintDockerfile, parseDockerfile } from './dockerfile-lint.js';

const dockerfile = readFileSync('Dockerfile', 'utf8');
const hadolintText = readFileSync('.hadolint.yaml', 'utf8');
const hadolint = parse(hadolintText) as { ignored: string[] };
const values = parse(readFileSync('deploy/helm/hostward/values.yaml', 'utf8')) as {
  agent: { port: number; hostRoot: string };
  collector: { port: number; runAsUser: number };
};

describe('Dockerfile', () => {
  it('passes the lint with the ignores of .hadolint.yaml', () => {
    expect(lintDockerfile(dockerfile, hadolint.ignored)).toEqual([]);
  });

  it('every ignored rule gives its reason in .hadolint.yaml, and is one the lint would raise', () => {
    for (const rule of hadolint.ignored) {
      expect(hadolintText, rule).toMatch(new RegExp(`# ${rule} \\(.+\\): \\S.{20,}`));
    }
    // DL3002 is ignored on purpose: the lint does see the root user.
    expect(lintDockerfile(dockerfile).map((p) => p.rule)).toEqual(['DL3002']);
  });

  it('the lint catches what hadolint would (it can fail)', () => {
    const bad = [
      'FROM node',
      'FROM debian:latest AS x',
      'RUN apt-get update && apt-get install python3',
      'RUN cd /src && npm install',
      'ADD . /app',
      'WORKDIR app',
      'ENV SLACK_TOKEN=xoxb',
      'COPY --from=nowhere /a /b',
      'HEALTHCHECK CMD curl -f http://localhost:9750/healthz',
      'RUN curl -s https://example.com/x | sh',
      'CMD node main.js',
    ].join('\n');
    const rules = lintDockerfile(bad).map((p) => p.rule);
    for (const r of [
      'DL3006',
      'DL3007',
      'DL3015',
      'DL3014',
      'DL3009',
      'DL3003',
      'HW001',
      'DL3020',
      'DL3000',
      'HW004',
      'DL3022',
      'HW003',
      'DL4006',
      'HW002',
      'DL3025',
      'HW005',
      'HW006',
    ]) {
      expect(rules, r).toContain(r);
    }
  });

  it('is a multi-stage build on a pinned Node.js LTS tag, production dependencies only, the CLI as entrypoint', () => {
    const ins = parseDockerfile(dockerfile);
    const froms = ins.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    expect(froms).toHaveLength(2);
    expect(froms[1]).toBe(froms[0]);
    expect(froms[0]).toMatch(/^node:\d+-[a-z]+-slim$/);
    expect(ins.some((i) => i.keyword === 'RUN' && /npm prune --omit=dev/.test(i.args))).toBe(true);
    const entry = JSON.parse(ins.find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
    expect(entry.at(-1)).toBe('/app/dist/src/cli/main.js');
    expect(JSON.parse(ins.find((i) => i.keyword === 'CMD')!.args)).toEqual(['agent', '--root', values.agent.hostRoot]);
    const exposed = ins.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
    expect(exposed).toEqual([values.agent.port, values.collector.port]);
  });

  it('.dockerignore keeps the build context to what the build copies', () => {
    const ignore = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', '.git', 'test']) expect(ignore).toContain(p);
    const copied = parseDockerfile(dockerfile)
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const c of copied) expect(ignore, c).not.toContain(c);
  });
});
