/**
 * The seccomp checks: the node-level answer to "does a pod that names no profile run unconfined?", and the
 * confinement of every running container read from the host's /proc. Pause (sandbox) containers, gVisor
 * and Kata sandboxes, the agent's own pod and configured exclusions are not judged; messages say so.
 */
import type { Check, Evidence, Outcome } from '../../src/sdk.js';
import { pass, fail, unknown, skip } from '../../src/sdk.js';
import { describeOrigin } from '../../src/sdk.js';
import type { ContainerFact, SeccompFacts } from './types.js';

const SECCOMP_MODE = ['disabled', 'strict', 'filter'];
const containers = (n: number) => `${n} container${n === 1 ? '' : 's'}`;

export function label(c: ContainerFact): string {
  const pod =
    c.namespace && c.podName
      ? `${c.namespace}/${c.podName}`
      : c.podName
        ? `pod ${c.podName}`
        : c.podUid
          ? `pod ${c.podUid}`
          : undefined;
  const ctr = c.containerName ? `container ${c.containerName}` : `container ${c.containerId.slice(0, 12)}`;
  return `${pod ? pod + ' ' : ''}${ctr} (pid ${c.pid} ${c.comm})`;
}

function evidenceOf(c: ContainerFact): Evidence {
  const s = c.status;
  const caps = s?.capEff !== undefined ? s.capEff.toString(16).padStart(16, '0') : '?';
  return {
    file: `/proc/${c.pid}/status`,
    text: `container ${c.containerId}${c.podUid ? ' pod ' + c.podUid : ''}: Seccomp ${s?.seccomp ?? '?'} NoNewPrivs ${s?.noNewPrivs ?? '?'} CapEff ${caps}${c.lsmLabel ? ' LSM ' + c.lsmLabel : ''}`,
  };
}

/** Containers that are judged, and a note on those that are not. */
function judged(facts: SeccompFacts): { list: ContainerFact[]; note: string } {
  const list = facts.containers.filter((c) => !c.excluded && !c.pause && !c.sandbox);
  const parts: string[] = [];
  const n = (f: (c: ContainerFact) => boolean) => facts.containers.filter(f).length;
  const excl = n((c) => !!c.excluded);
  const pause = n((c) => !c.excluded && c.pause);
  const sandboxed = n((c) => !c.excluded && !c.pause && !!c.sandbox);
  if (excl) parts.push(`${excl} excluded`);
  if (pause) parts.push(`${pause} pause`);
  if (sandboxed) parts.push(`${sandboxed} in gVisor/Kata sandboxes`);
  return { list, note: parts.length ? ` (not judged: ${parts.join(', ')})` : '' };
}

function perContainer(
  facts: SeccompFacts,
  bad: (c: ContainerFact) => boolean | undefined,
  what: { bad: string; good: string; detail?: (c: ContainerFact) => string },
): Outcome {
  if (facts.procProblem) return unknown(facts.procProblem);
  const { list, note } = judged(facts);
  if (list.length === 0) return skip(`no running containers to judge${note}`);
  const hits: ContainerFact[] = [];
  const undecided: ContainerFact[] = [];
  for (const c of list) {
    const b = bad(c);
    if (b === undefined) undecided.push(c);
    else if (b) hits.push(c);
  }
  const max = facts.options.maxListed;
  const name = (c: ContainerFact) => label(c) + (what.detail ? `: ${what.detail(c)}` : '');
  if (hits.length > 0) {
    const shown = hits.slice(0, max);
    const more = hits.length > max ? `; and ${hits.length - max} more` : '';
    return fail(
      `${hits.length} of ${containers(list.length)} ${what.bad}${note}: ${shown.map(name).join('; ')}${more}`,
      shown.map(evidenceOf),
    );
  }
  if (undecided.length > 0) {
    return unknown(
      `${undecided.length} of ${containers(list.length)} could not be read: ${undecided
        .slice(0, max)
        .map((c) => `${label(c)}: ${c.statusProblem ?? 'no Seccomp/CapEff line in status'}`)
        .join('; ')}`,
    );
  }
  return pass(`${containers(list.length)} ${what.good}${note}`);
}

function defaultProfile(facts: SeccompFacts): Outcome {
  const k = facts.kubelet;
  if (!k.present) return skip('no kubelet on this host: no pods are scheduled here');
  const sd = k.seccompDefault;
  const gateOff = k.gate && (k.gate.value === false || k.gate.value === 'false');
  const ev = [...(sd?.evidence ?? []), ...(k.gate?.evidence ?? [])];
  if (sd && (sd.value === true || sd.value === 'true') && !gateOff) {
    return pass(
      `seccompDefault is true (${describeOrigin(sd)}): the kubelet asks for RuntimeDefault for every pod that names no profile (privileged containers are exempt; seccomp.privileged_containers reports them)`,
      ev,
    );
  }
  if ((!sd || sd.source === 'default') && k.incomplete)
    return unknown(`the kubelet's seccompDefault is not known: ${k.incomplete}`);
  const kubeletPart = gateOff
    ? 'the SeccompDefault feature gate is turned off'
    : `seccompDefault is false (${describeOrigin(sd)})`;
  const r = facts.runtime;
  const rev = [...ev, ...r.evidence];
  if (r.runtime === 'unknown')
    return unknown(
      `${kubeletPart}, and the container runtime could not be determined, so what it does with no profile is not known`,
      rev,
    );
  if (r.profile === undefined)
    return unknown(
      `${kubeletPart}, and the ${r.runtime} configuration could not be read: ${r.unreadable ?? r.problems.join('; ')}`,
      rev,
    );
  const detail = r.detail ? `: ${r.detail}` : '';
  if (r.profile !== '')
    return pass(
      `${kubeletPart}, but ${r.runtime} (${r.why}) applies ${r.profile} to containers that name no profile${detail}`,
      rev,
    );
  return fail(
    `a pod that names no seccomp profile runs Unconfined: ${kubeletPart}, and ${r.runtime} (${r.why}) applies no profile when none is sent${detail}`,
    rev,
  );
}

export const seccompChecks: readonly Check<SeccompFacts>[] = [
  {
    id: 'seccomp.default_profile',
    title: 'Pods that name no seccomp profile run with the runtime default profile',
    severity: 'high',
    references: [
      'CIS Kubernetes Benchmark v1.12 4.2.14',
      'https://kubernetes.io/docs/tutorials/security/seccomp/',
      'https://github.com/containerd/containerd/blob/main/docs/cri/config.md',
      'crio.conf(5) seccomp_use_default_when_empty',
    ],
    remediation:
      'Set seccompDefault: true in the KubeletConfiguration, or set the runtime\'s profile for pods without one (containerd unset_seccomp_profile = "runtime/default").',
    evaluate: defaultProfile,
  },
  {
    id: 'seccomp.unconfined_containers',
    title: 'Running containers have a seccomp filter',
    severity: 'medium',
    references: [
      'https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted',
      'CIS Docker Benchmark v1.6.0 5.22',
      'docker-bench-security check_5_22',
    ],
    remediation:
      "Give the workloads securityContext.seccompProfile.type: RuntimeDefault (or a Localhost profile), or turn on the kubelet's seccompDefault.",
    evaluate: (f) =>
      perContainer(f, (c) => (c.status?.seccomp === undefined ? undefined : c.status.seccomp === 0), {
        bad: 'run without seccomp',
        good: 'run with a seccomp filter',
      }),
  },
  {
    id: 'seccomp.privileged_containers',
    title: 'No container runs privileged (all capabilities, no seccomp, no LSM confinement)',
    severity: 'high',
    references: [
      'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline',
      'CIS Docker Benchmark v1.6.0 5.5',
      'docker-bench-security check_5_5',
    ],
    remediation:
      'A container counts as privileged when its process holds every capability, has no seccomp filter and an unconfined LSM label, as a privileged container does. ' +
      'Remove securityContext.privileged: true; grant the few capabilities the workload needs instead.',
    evaluate: (f) =>
      perContainer(
        f,
        (c) => (c.status?.capEff === undefined || c.status.seccomp === undefined ? undefined : c.privileged),
        {
          bad: 'look privileged (every capability, Seccomp 0, unconfined LSM label)',
          good: 'are not privileged',
          detail: (c) => `LSM ${c.lsmLabel ?? 'none'}`,
        },
      ),
  },
  {
    id: 'seccomp.dangerous_capabilities',
    title: 'No container holds capabilities that reach the host',
    severity: 'medium',
    references: [
      'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline',
      'CIS Docker Benchmark v1.6.0 5.4',
      'docker-bench-security check_5_4',
    ],
    remediation: 'Drop the capabilities (securityContext.capabilities.drop: [ALL], add only what is needed).',
    evaluate: (f) =>
      perContainer(f, (c) => (c.status?.capEff === undefined ? undefined : c.dangerous.length > 0), {
        bad: 'hold dangerous capabilities',
        good: 'hold none of the dangerous capabilities',
        detail: (c) => (c.fullCapabilities ? 'all capabilities' : c.dangerous.join(',')),
      }),
  },
  {
    id: 'seccomp.no_new_privs',
    title: 'Containers run with no_new_privs (allowPrivilegeEscalation: false)',
    severity: 'low',
    references: [
      'https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted',
      'CIS Docker Benchmark v1.6.0 5.26',
      'docker-bench-security check_5_26',
    ],
    remediation: 'Set securityContext.allowPrivilegeEscalation: false so setuid binaries cannot gain privileges.',
    evaluate: (f) =>
      perContainer(f, (c) => (c.status?.noNewPrivs === undefined ? undefined : c.status.noNewPrivs === 0), {
        bad: 'may gain privileges (NoNewPrivs 0)',
        good: 'run with NoNewPrivs 1',
      }),
  },
];

export { SECCOMP_MODE };
