/** Facts of the seccomp probe: the node-level default for pods that name no profile, and every running container. */
import type { Evidence, ProcStatus, Setting } from '../../src/sdk.js';

export type SandboxKind = 'gvisor' | 'kata';

export type { ProcStatus } from '../../src/sdk.js';

export interface ContainerFact {
  containerId: string;
  runtime?: string;
  podUid?: string;
  qos?: string;
  /** Pod name and namespace where the host shows them (OCI spec annotations, the pod's volumes). */
  podName?: string;
  namespace?: string;
  containerName?: string;
  /** Where the pod name came from. */
  podSource?: 'oci-annotations' | 'pod-volumes';
  /** The container's init process: the lowest host pid in its cgroup. */
  pid: number;
  comm: string;
  /** Processes seen in the container. */
  processes: number;
  status?: ProcStatus;
  statusProblem?: string;
  /** /proc/<pid>/attr/current (AppArmor or SELinux label); undefined when no LSM answers. */
  lsmLabel?: string;
  capabilities: string[];
  dangerous: string[];
  fullCapabilities: boolean;
  privileged: boolean;
  /** The pod's pause (sandbox) container. */
  pause: boolean;
  /** gVisor or Kata: the workload runs in a sandbox kernel or VM, not as host processes. */
  sandbox?: SandboxKind;
  /** Why this container is not judged (the agent's own pod, a configured exclusion). */
  excluded?: string;
}

export type RuntimeName = 'containerd' | 'cri-o' | 'docker' | 'unknown';

export interface RuntimeDefault {
  runtime: RuntimeName;
  /** How the runtime was chosen (the kubelet's endpoint, a running daemon, a config file). */
  why: string;
  /**
   * The profile the runtime applies when the kubelet sends none: a name/path (confined), '' (unconfined),
   * or undefined when not known.
   */
  profile?: string;
  /** The setting the answer rests on, for messages: 'unset_seccomp_profile is "" (/etc/containerd/config.toml:7)'. */
  detail?: string;
  /** What the answer rests on. */
  evidence: Evidence[];
  problems: string[];
  /** A configuration that is in use could not be read. */
  unreadable?: string;
}

export interface SeccompOptions {
  excludePodUids: string[];
  /** namespace/name glob patterns ("kube-system/*", "*\/falco-*"). */
  excludePods: string[];
  excludeContainerIds: string[];
  /** The agent's own container and pod; detected from this process' /proc/self/cgroup when not set. */
  selfContainerId?: string;
  selfPodUid?: string;
  maxListed: number;
  maxProcesses: number;
  dangerousCapabilities: string[];
}

export interface SeccompFacts {
  options: SeccompOptions;
  kubelet: { present: boolean; seccompDefault?: Setting; gate?: Setting; incomplete?: string };
  runtime: RuntimeDefault;
  containers: ContainerFact[];
  /** Why /proc could not be read, when it could not. */
  procProblem?: string;
  /** gVisor/Kata shims seen on the node. */
  sandboxShims: { kind: SandboxKind; pid: number; comm: string }[];
  self: { containerId?: string; podUid?: string; source: string };
  capLastCap: number;
}
