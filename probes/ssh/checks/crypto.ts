/**
 * Cryptography checks of the ssh probe: algorithm lists, host keys, DH moduli, Terrapin, RequiredRSASize.
 *
 * THE RULE WHERE STANDARDS DISAGREE (NIST curves, umac-128-etm, CBC, post-quantum-only KEX):
 * 1. The verdict follows ssh-audit (../algorithms.ts, standard 'ssh-audit'): a check FAILS when an algorithm
 *    sshd offers is one ssh-audit FAILS (SHA-1, NIST P-curves, DSA, 1024-bit groups, RC4/3DES/...).
 * 2. An algorithm ssh-audit WARNS on (CBC, encrypt-and-MAC, 2048-bit groups, a KEX without post-quantum
 *    protection) fails the check too, so a passing check never names a weakness. One exception: classic key
 *    exchanges offered beside a post-quantum hybrid (sntrup761, ML-KEM) serve older clients and do not fail.
 * 3. An offered name hostward's table does not know makes the check UNKNOWN (never pass), unless something
 *    else already fails it.
 * 4. CIS (Ubuntu 22.04 v2 / Debian 12 §5.1), CIS-DIL 2.0.0 §5.2 and dev-sec ssh-baseline never change the
 *    status. What each of them says, named by standard and section, ends the message of a failing or unknown
 *    finding and is evidence of a passing one, so a CIS or dev-sec audit can be read off the same finding.
 *    (Example: ecdh-sha2-nistp256 fails the check because ssh-audit fails it, and the message says CIS accepts
 *    it; umac-128-etm passes, and the evidence says CIS 5.1.15 lists it as weak.)
 *
 * The lists rated are what sshd offers: `sshd -T`'s resolved lists (facts.effective[0]; algorithm keywords
 * are not allowed in Match blocks, so every context has the same lists), or the live probe's offered lists when
 * there is no effective configuration. Host key algorithms are narrowed to the keys sshd loaded.
 */
import type { Check, Evidence, Outcome } from '../../../src/sdk.js';
import { pass, fail, unknown, skip, describeFailure, compareDebVersions } from '../../../src/sdk.js';
import type { SshFacts, Setting, OpenSshVersion } from '../types.js';
import { CIS_DEBIAN_12, CIS_DIL, CIS_UBUNTU_2204 } from './util.js';
import {
  type AlgorithmKind,
  type AlgorithmRating,
  type ListRating,
  type Standard,
  INFO_HYBRID_PQ,
  WARN_NOT_PQ_SAFE,
  lookupAlgorithm,
  rateList,
  splitAlgorithmList,
  STANDARD_LISTS,
} from '../algorithms.js';

// ---------------------------------------------------------------------------------------------------------------
// Where the lists come from

const KEYWORD: Readonly<Record<AlgorithmKind, string>> = {
  cipher: 'ciphers',
  mac: 'macs',
  kex: 'kexalgorithms',
  hostkey: 'hostkeyalgorithms',
};
const LIVE_FIELD = { cipher: 'ciphers', mac: 'macs', kex: 'kex', hostkey: 'hostKey' } as const;

interface AlgorithmSource {
  names: string[];
  evidence: Evidence[];
  /** For messages: "sshd -T", "the defaults", "the live probe". */
  origin: string;
}

/** Why there is no effective configuration. */
function noEffectiveReason(facts: SshFacts): string {
  if (facts.effectiveUnavailable) return facts.effectiveUnavailable;
  if ('ok' in facts.parsed) return `cannot read the sshd configuration: ${describeFailure(facts.parsed)}`;
  return facts.sshdT.used
    ? 'sshd -T gave no effective configuration'
    : `no effective configuration (sshd -T not used: ${facts.sshdT.reason})`;
}

function settingEvidence(keyword: string, s: Setting): Evidence[] {
  if (s.evidence && s.evidence.length > 0) return s.evidence;
  return [{ text: `${keyword} ${s.values.join(' ')}` }];
}

function originOf(s: Setting): string {
  const e = s.evidence?.[0];
  if (e?.file) return `set at ${e.file}${e.line !== undefined ? ':' + e.line : ''}`;
  return s.source === 'default' ? 'the default' : `from ${s.source}`;
}

/** The algorithm list sshd offers for a kind, or the reason it is unknown. */
export function offeredList(facts: SshFacts, kind: AlgorithmKind): AlgorithmSource | string {
  const keyword = KEYWORD[kind];
  const cfg = facts.effective[0];
  if (cfg) {
    const s = cfg.settings.get(keyword);
    const v = s?.values[0];
    if (s && v !== undefined)
      return { names: splitAlgorithmList(v), evidence: settingEvidence(keyword, s), origin: originOf(s) };
  }
  const live = facts.live?.offered?.[LIVE_FIELD[kind]];
  if (live && live.length > 0) {
    return {
      names: [...live],
      evidence: [{ text: `offered by ${facts.live!.address}:${facts.live!.port}: ${live.join(',')}` }],
      origin: 'the live probe',
    };
  }
  if (!cfg) return noEffectiveReason(facts);
  return `${keyword} is not in the effective configuration for ${cfg.context.label}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

/** "a, b (why); c (other why)": algorithms grouped by the reasons of the given level. */
function grouped(ratings: readonly AlgorithmRating[], level: 'fail' | 'warn'): string {
  const groups = new Map<string, string[]>();
  for (const r of ratings) {
    const why = r.reasons
      .filter((x) => x.level === level)
      .map((x) => x.text)
      .join('; ');
    groups.set(why, [...(groups.get(why) ?? []), r.name]);
  }
  return [...groups].map(([why, names]) => (why ? `${names.join(', ')} (${why})` : names.join(', '))).join('; ');
}

const OTHER_STANDARDS: readonly Exclude<Standard, 'ssh-audit'>[] = ['CIS', 'CIS-DIL', 'dev-sec'];

/** "CIS (...5.1.15) fails umac-128-etm@openssh.com; CIS-DIL (...) passes; dev-sec (sshd-03) ...". */
export function otherStandardsNote(kind: AlgorithmKind, names: readonly string[]): string {
  const parts = otherStandards(kind, names);
  return parts.length > 0 ? ` Other standards (not used for the verdict): ${parts.join('; ')}.` : '';
}

/** One "<standard> (<reference>) <what it says>" per other standard that rates this kind. */
function otherStandards(kind: AlgorithmKind, names: readonly string[]): string[] {
  const parts: string[] = [];
  for (const std of OTHER_STANDARDS) {
    const list = STANDARD_LISTS[std][kind];
    if (!list) continue;
    const r = rateList(kind, names, std);
    const bits: string[] = [];
    if (r.fail.length > 0) bits.push(`fails ${r.fail.join(', ')}`);
    if (r.warn.length > 0)
      bits.push(
        `warns on ${r.warn.join(', ')} (${r.ratings
          .filter((x) => x.verdict === 'warn')
          .map((x) => x.reasons[0]?.text)
          .join('; ')})`,
      );
    if (std === 'dev-sec' && list.mode === 'allow' && kind !== 'hostkey') {
      const missing = list.names.filter((n) => !names.includes(n));
      if (missing.length > 0) bits.push(`expects exactly its list, missing ${missing.join(', ')}`);
    }
    parts.push(`${std} (${list.reference}) ${bits.length > 0 ? bits.join('; ') : 'passes'}`);
  }
  return parts;
}

function sshAuditSummary(r: ListRating): string {
  const out: string[] = [];
  const fails = r.ratings.filter((x) => x.verdict === 'fail');
  const warns = r.ratings.filter((x) => x.verdict === 'warn');
  if (fails.length > 0) out.push(`ssh-audit fails ${grouped(fails, 'fail')}`);
  if (r.unknown.length > 0) out.push(`not in hostward's algorithm table, cannot rate: ${r.unknown.join(', ')}`);
  if (warns.length > 0) out.push(`ssh-audit warns on ${grouped(warns, 'warn')}`);
  return out.join('; ');
}

const NOUN: Readonly<Record<AlgorithmKind, string>> = {
  cipher: 'ciphers',
  mac: 'MACs',
  kex: 'key exchange algorithms',
  hostkey: 'host key algorithms',
};

const isHybridPq = (r: AlgorithmRating): boolean =>
  r.kind === 'kex' && r.reasons.some((x) => x.id === INFO_HYBRID_PQ.id);
const onlyNotPq = (r: AlgorithmRating): boolean =>
  r.reasons.every((x) => x.level !== 'warn' || x.id === WARN_NOT_PQ_SAFE.id);

/** Verdict for one list, by the rule at the top of this file. */
function verdictForList(kind: AlgorithmKind, src: AlgorithmSource, names: readonly string[], extra = ''): Outcome {
  const r = rateList(kind, names, 'ssh-audit');
  const summary = sshAuditSummary(r);
  const others = otherStandardsNote(kind, names);
  const head = `${names.length} ${NOUN[kind]} offered (${src.origin})`;
  const pseudo = r.pseudo.length > 0 ? ` Pseudo-algorithms ignored for rating: ${r.pseudo.join(', ')}.` : '';
  if (r.fail.length > 0) return fail(`${head}: ${summary}.${extra}${pseudo}${others}`, src.evidence);
  if (r.unknown.length > 0) return unknown(`${head}: ${summary}.${extra}${pseudo}${others}`, src.evidence);
  if (names.length === 0 || r.ratings.length === 0)
    return unknown(`${head}: the list is empty.${others}`, src.evidence);
  const pq = r.ratings.filter(isHybridPq).map((x) => x.name);
  const warns = r.ratings.filter((x) => x.verdict === 'warn');
  const classic = pq.length > 0 ? warns.filter(onlyNotPq) : [];
  if (warns.length > classic.length) return fail(`${head}: ${summary}.${extra}${pseudo}${others}`, src.evidence);
  const tail =
    classic.length > 0
      ? `: clean under ssh-audit: post-quantum ${pq.join(', ')}, and ${classic.map((x) => x.name).join(', ')} for clients without it`
      : ': all clean under ssh-audit';
  const evidence = [...src.evidence, ...otherStandards(kind, names).map((text) => ({ text }))];
  return pass(`${head}${tail}.${extra}${pseudo}`, evidence);
}

function listCheck(kind: AlgorithmKind, facts: SshFacts, extra?: (names: readonly string[]) => string): Outcome {
  const src = offeredList(facts, kind);
  if (typeof src === 'string') return unknown(src);
  return verdictForList(kind, src, src.names, extra ? extra(src.names) : '');
}

// ---------------------------------------------------------------------------------------------------------------
// Host key algorithms: only those for keys sshd loaded are offered.

interface HostKeyNarrowing {
  offered: string[];
  /** Configured algorithms sshd will not offer because no such key (or certificate) is loaded. */
  notOffered: string[];
  note: string;
}

/** Narrow a configured HostKeyAlgorithms list to what sshd can offer with the keys it loaded. */
export function narrowHostKeyAlgorithms(facts: SshFacts, configured: readonly string[]): HostKeyNarrowing {
  const keys = facts.hostKeys;
  const types = new Set(keys.map((k) => k.type).filter((t): t is string => t !== undefined));
  const untyped = keys.filter((k) => k.type === undefined);
  if (keys.length === 0 || untyped.length > 0) {
    const why =
      keys.length === 0 ? 'no host key facts' : `the type of ${untyped.map((k) => k.path).join(', ')} is unknown`;
    return { offered: [...configured], notOffered: [], note: ` Rated the whole configured list (${why}).` };
  }
  const cfg = facts.effective[0];
  const certs = (cfg?.settings.get('hostcertificate')?.values ?? []).filter((v) => v !== '' && v !== 'none');
  const offered: string[] = [];
  const notOffered: string[] = [];
  for (const name of configured) {
    const info = lookupAlgorithm('hostkey', name);
    // Unknown names stay in, so they are reported rather than silently dropped.
    if (!info?.keyType) {
      offered.push(name);
      continue;
    }
    const loaded = types.has(info.keyType) || types.has(`${info.keyType}-cert-v01@openssh.com`);
    if (loaded && (!info.certificate || certs.length > 0)) offered.push(name);
    else notOffered.push(name);
  }
  const note =
    notOffered.length > 0
      ? ` Configured but not offered (no matching ${certs.length > 0 ? 'key' : 'key or HostCertificate'} loaded): ${notOffered.join(', ')}.`
      : '';
  return { offered, notOffered, note: ` Loaded host key types: ${[...types].join(', ')}.${note}` };
}

// ---------------------------------------------------------------------------------------------------------------
// Versions

/**
 * dpkg's version ordering (epoch:upstream-revision, "~" sorts before everything), for back-port decisions:
 * the engine's one comparator, a port of dpkg's own (src/host/facts/dpkg/version.ts). Returns <0, 0, >0.
 */
export const compareDebianVersions = (a: string, b: string): number => compareDebVersions(a, b);

/**
 * Distribution packages that back-ported strict KEX (the Terrapin countermeasure, upstream 9.6) to an older
 * OpenSSH. Data: the upstream version the package is built from, and the first fixed package version.
 */
export const STRICT_KEX_BACKPORTS: readonly { upstream: string; fixed: string; advisory: string }[] = [
  { upstream: '9.2p1', fixed: '1:9.2p1-2+deb12u2', advisory: 'Debian DSA-5586-1 (bookworm)' },
  { upstream: '8.4p1', fixed: '1:8.4p1-5+deb11u3', advisory: 'Debian DSA-5586-1 (bullseye)' },
  { upstream: '8.9p1', fixed: '1:8.9p1-3ubuntu0.5', advisory: 'Ubuntu USN-6560-1 (22.04)' },
  { upstream: '8.2p1', fixed: '1:8.2p1-4ubuntu0.10', advisory: 'Ubuntu USN-6560-1 (20.04)' },
];

/**
 * The distribution package version behind a version fact or banner: "1:9.2p1-2+deb12u3" as dpkg says it, or
 * rebuilt from "OpenSSH_9.2p1 Debian-2+deb12u10" (Debian and Ubuntu packages use epoch 1).
 */
export function packageVersion(raw: string): string | undefined {
  const dpkg = /^(\d+:)?(\d+\.\d+(?:p\d+)?)-(\S+)$/.exec(raw.trim());
  if (dpkg) return `${dpkg[1] ?? '1:'}${dpkg[2]}-${dpkg[3]}`;
  const banner = /OpenSSH_(\d+\.\d+(?:p\d+)?)\s+(?:Debian|Ubuntu)-([^\s,]+)/.exec(raw);
  if (banner) return `1:${banner[1]}-${banner[2]}`;
  return undefined;
}

export interface StrictKexAnswer {
  strict: boolean | undefined;
  why: string;
}

/**
 * Does this sshd offer kex-strict-s-v00@openssh.com? From the wire if the live probe saw the KEX list, else by version.
 */
export function strictKex(facts: SshFacts): StrictKexAnswer {
  const liveKex = facts.live?.offered?.kex;
  if (liveKex && liveKex.length > 0) {
    const on = liveKex.includes('kex-strict-s-v00@openssh.com');
    return {
      strict: on,
      why: `the live probe ${on ? 'saw' : 'did not see'} kex-strict-s-v00@openssh.com in the offered KEX list`,
    };
  }
  const configured = facts.effective[0]?.settings.get('kexalgorithms')?.values[0];
  if (configured && splitAlgorithmList(configured).includes('kex-strict-s-v00@openssh.com')) {
    return { strict: true, why: 'kex-strict-s-v00@openssh.com is in the KEX list' };
  }
  return strictKexByVersion(facts.version, facts.live?.banner);
}

export function strictKexByVersion(version: OpenSshVersion, banner?: string): StrictKexAnswer {
  const candidates = [version.raw, ...(banner ? [banner] : [])];
  for (const raw of candidates) {
    const pkg = packageVersion(raw);
    if (!pkg) continue;
    const upstream = /^\d+:([^-]+)-/.exec(pkg)?.[1];
    const bp = STRICT_KEX_BACKPORTS.find((b) => b.upstream === upstream && sameFamily(pkg, b.fixed));
    if (bp) {
      const fixed = compareDebianVersions(pkg, bp.fixed) >= 0;
      return {
        strict: fixed,
        why: `package ${pkg} is ${fixed ? 'at or after' : 'before'} ${bp.fixed} (${bp.advisory})`,
      };
    }
  }
  if (version.source !== 'assumed' && (version.major > 9 || (version.major === 9 && version.minor >= 6))) {
    return { strict: true, why: `OpenSSH ${version.major}.${version.minor} >= 9.6 has strict KEX` };
  }
  if (version.source === 'assumed') return { strict: undefined, why: 'the OpenSSH version is not known' };
  return {
    strict: undefined,
    why: `OpenSSH ${version.raw} predates 9.6 and hostward knows no back-port for this build; the live probe would show the KEX list`,
  };
}

/** Ubuntu revisions contain "ubuntu"; every other Debian-format revision is taken as Debian's. */
function sameFamily(pkg: string, fixed: string): boolean {
  const fam = (v: string) => (/ubuntu/i.test(v) ? 'ubuntu' : 'debian');
  return fam(pkg) === fam(fixed);
}

function versionAtLeast(v: OpenSshVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

// ---------------------------------------------------------------------------------------------------------------
// The checks

const DEFAULT_MIN_RSA_BITS = 3072;
const DEVSEC_RSA_BITS = 4096;
const SSH_AUDIT_RSA_FAIL = 2048;
const MIN_DH_BITS = 2048;
const SSH_AUDIT_DH_WARN = 3072;
const MIN_REQUIRED_RSA_SIZE = 2048;

export const cryptoChecks: readonly Check<SshFacts>[] = [
  {
    id: 'ssh.ciphers',
    title: 'sshd offers only strong ciphers',
    severity: 'high',
    references: [
      'https://github.com/jtesta/ssh-audit/blob/master/src/ssh_audit/ssh2_kexdb.py',
      CIS_DEBIAN_12('5.1.6'),
      CIS_UBUNTU_2204('5.1.6'),
      CIS_DIL('5.2.13'),
      'dev-sec ssh-baseline sshd-01',
    ],
    remediation:
      'Set "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-gcm@openssh.com,aes128-ctr" in /etc/ssh/sshd_config.d/ (ssh-audit Debian 12 guide), then reload sshd.',
    evaluate: (facts) => listCheck('cipher', facts),
  },
  {
    id: 'ssh.macs',
    title: 'sshd offers only strong MACs',
    severity: 'medium',
    references: [
      'https://github.com/jtesta/ssh-audit/blob/master/src/ssh_audit/ssh2_kexdb.py',
      CIS_DEBIAN_12('5.1.15'),
      CIS_UBUNTU_2204('5.1.15'),
      CIS_DIL('5.2.14'),
      'dev-sec ssh-baseline sshd-03',
    ],
    remediation:
      'Set "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com" (ssh-audit Debian 12 guide; CIS 5.1.15 also rejects umac-128-etm, so use "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com" to satisfy both).',
    evaluate: (facts) =>
      listCheck('mac', facts, () => {
        const ciphers = offeredList(facts, 'cipher');
        if (typeof ciphers === 'string') return '';
        const allAead =
          ciphers.names.length > 0 && ciphers.names.every((c) => lookupAlgorithm('cipher', c)?.aead === true);
        return allAead
          ? ' (Every offered cipher is AEAD, so no MAC is negotiated; ssh-audit rates the list anyway.)'
          : '';
      }),
  },
  {
    id: 'ssh.kex_algorithms',
    title: 'sshd offers only strong key exchange algorithms',
    severity: 'medium',
    references: [
      'https://github.com/jtesta/ssh-audit/blob/master/src/ssh_audit/ssh2_kexdb.py',
      CIS_DEBIAN_12('5.1.12'),
      CIS_UBUNTU_2204('5.1.12'),
      CIS_DIL('5.2.15'),
      'dev-sec ssh-baseline sshd-02',
    ],
    remediation:
      'Set "KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256" (ssh-audit Debian 12 guide; add mlkem768x25519-sha256 first on OpenSSH >= 9.9).',
    evaluate: (facts) => listCheck('kex', facts),
  },
  {
    id: 'ssh.host_key_algorithms',
    title: 'sshd offers only strong host key algorithms',
    severity: 'medium',
    references: [
      'https://github.com/jtesta/ssh-audit/blob/master/src/ssh_audit/ssh2_kexdb.py',
      'dev-sec ssh-baseline sshd-14',
    ],
    remediation:
      'Set "HostKeyAlgorithms ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com" and drop "HostKey /etc/ssh/ssh_host_ecdsa_key" and any DSA HostKey.',
    evaluate(facts) {
      const src = offeredList(facts, 'hostkey');
      if (typeof src === 'string') return unknown(src);
      // The live probe's list is what sshd really offers; otherwise narrow the configured list to loaded keys.
      const live = facts.live?.offered?.hostKey;
      if (live && live.length > 0) {
        const liveSrc = {
          names: [...live],
          evidence: [{ text: `offered by ${facts.live!.address}:${facts.live!.port}: ${live.join(',')}` }],
          origin: 'the live probe',
        };
        return verdictForList('hostkey', liveSrc, liveSrc.names);
      }
      const n = narrowHostKeyAlgorithms(facts, src.names);
      return verdictForList('hostkey', src, n.offered, n.note);
    },
  },
  {
    id: 'ssh.host_key_strength',
    title: 'sshd host keys are strong (no DSA, RSA large enough)',
    severity: 'high',
    references: [
      'https://github.com/jtesta/ssh-audit/blob/master/src/ssh_audit/hostkeytest.py',
      'dev-sec ssh-baseline sshd-50',
      'NIST SP 800-57 Part 1 Rev. 5 Table 2',
    ],
    remediation:
      'Remove DSA host keys and regenerate RSA: "rm /etc/ssh/ssh_host_dsa_key*; ssh-keygen -t rsa -b 4096 -f /etc/ssh/ssh_host_rsa_key -N \'\'"; prefer "HostKey /etc/ssh/ssh_host_ed25519_key" first.',
    evaluate(facts) {
      const keys = facts.hostKeys;
      if (keys.length === 0) return unknown('no host keys are known (no HostKey facts)');
      const min = facts.options.minRsaBits > 0 ? facts.options.minRsaBits : DEFAULT_MIN_RSA_BITS;
      const bad: string[] = [];
      const notes: string[] = [];
      const unknowns: string[] = [];
      for (const k of keys) {
        const t = k.type;
        if (t === undefined) {
          unknowns.push(`${k.path}: ${k.problem ?? 'type unknown'}`);
          continue;
        }
        const base = t.replace(/-cert-v01@openssh\.com$/, '');
        if (base === 'ssh-dss') {
          bad.push(`${k.path} is a DSA key (1024-bit, fails ssh-audit; removed in OpenSSH 10.0)`);
        } else if (base === 'ssh-rsa') {
          if (k.bits === undefined)
            unknowns.push(`${k.path}: RSA key size unknown${k.problem ? ` (${k.problem})` : ''}`);
          else if (k.bits < min) {
            bad.push(
              `${k.path} is RSA ${k.bits} bits, below the minimum ${min}${k.bits < SSH_AUDIT_RSA_FAIL ? ' (ssh-audit fails < 2048)' : ''}`,
            );
          } else notes.push(`${k.path} is RSA ${k.bits} bits (at least ${min})`);
        } else if (base.startsWith('ecdsa-sha2-') || base.startsWith('sk-ecdsa-')) {
          // The size is all this check judges; the curve is judged by ssh.host_key_algorithms.
          notes.push(`${k.path} is ECDSA${k.bits ? ' ' + k.bits : ''} (its algorithm: ssh.host_key_algorithms)`);
        } else if (base === 'ssh-ed25519' || base === 'sk-ssh-ed25519@openssh.com' || base === 'ssh-ed448') {
          notes.push(`${k.path} is ${base}`);
        } else {
          unknowns.push(`${k.path}: key type ${t} not known to hostward`);
        }
      }
      const evidence: Evidence[] = keys.map((k) => ({
        file: k.path,
        text: `${k.type ?? '?'}${k.bits ? ' ' + k.bits : ''}`,
      }));
      const devsec = keys.filter(
        (k) => k.type?.startsWith('ssh-rsa') && k.bits !== undefined && k.bits < DEVSEC_RSA_BITS,
      );
      if (devsec.length > 0)
        evidence.push({ text: `dev-sec ssh-baseline sshd-50 asks for RSA host keys of ${DEVSEC_RSA_BITS} bits` });
      const rest = [...notes, ...unknowns.map((u) => `cannot rate ${u}`)];
      if (bad.length > 0) return fail([...bad, ...rest].join('; '), evidence);
      if (unknowns.length > 0) return unknown(rest.join('; '), evidence);
      return pass(rest.join('; '), evidence);
    },
  },
  {
    id: 'ssh.moduli_strength',
    title: 'Diffie-Hellman group exchange moduli are at least 2048 bits',
    severity: 'low',
    references: [
      'dev-sec ssh-baseline sshd-48',
      'https://github.com/jtesta/ssh-audit/blob/master/src/ssh_audit/gextest.py',
      'moduli(5)',
    ],
    remediation:
      'Remove small groups: "awk \'$5 >= 3071\' /etc/ssh/moduli > /etc/ssh/moduli.safe && mv /etc/ssh/moduli.safe /etc/ssh/moduli" (ssh-audit Debian 12 guide keeps >= 3072 bits; dev-sec needs >= 2048).',
    evaluate(facts) {
      const kex = offeredList(facts, 'kex');
      const gex =
        typeof kex === 'string' ? undefined : kex.names.filter((n) => n.startsWith('diffie-hellman-group-exchange-'));
      const gexNote = gex === undefined ? '' : gex.length > 0 ? ` (used by ${gex.join(', ')})` : '';
      if (gex !== undefined && gex.length === 0)
        return pass('no diffie-hellman-group-exchange KEX is offered, so /etc/ssh/moduli is not used');
      const m = facts.moduli;
      const file = facts.effective[0]?.settings.get('modulifile')?.values[0] ?? '/etc/ssh/moduli';
      if ('ok' in m) {
        if (m.code === 'missing') {
          return pass(`no ${m.path}: sshd uses its built-in groups 14, 16 and 18 (2048, 4096 and 8192 bits)${gexNote}`);
        }
        return unknown(`cannot read the moduli file: ${describeFailure(m)}`);
      }
      if (m.sizes.length === 0)
        return pass(
          `the moduli file lists no groups, so sshd uses its built-in groups 14, 16 and 18 (2048, 4096 and 8192 bits)${gexNote}`,
        );
      const small = m.sizes.filter((b) => b < MIN_DH_BITS);
      const medium = m.sizes.filter((b) => b >= MIN_DH_BITS && b < SSH_AUDIT_DH_WARN);
      const range = `${Math.min(...m.sizes)}..${Math.max(...m.sizes)} bits`;
      const mediumNote =
        medium.length > 0
          ? `; ${medium.length} ${medium.length === 1 ? 'group is' : 'groups are'} below ${SSH_AUDIT_DH_WARN} bits (ssh-audit warns; its Debian 12 guide removes them)`
          : '';
      if (small.length > 0) {
        const sizes = [...new Set(small)].sort((a, b) => a - b).join(', ');
        return fail(
          `${small.length} of ${m.sizes.length} groups ${small.length === 1 ? 'is' : 'are'} smaller than ${MIN_DH_BITS} bits (${sizes}; dev-sec sshd-48 fails them; OpenSSH >= 7.2 does not select groups below ${MIN_DH_BITS} bits itself)${mediumNote}${gexNote}`,
          [{ file, text: `sizes ${range}` }],
        );
      }
      // Groups of 2048 to 3071 bits meet this check (dev-sec sshd-48); the stricter ssh-audit guide is the remediation.
      const mediumCount =
        medium.length > 0 ? `; ${medium.length} of ${m.sizes.length} have 2048 to ${SSH_AUDIT_DH_WARN - 1} bits` : '';
      return pass(`${m.sizes.length} groups, ${range}${mediumCount}${gexNote}`, [{ file, text: `sizes ${range}` }]);
    },
  },
  {
    id: 'ssh.terrapin',
    title: 'sshd is not open to the Terrapin attack (CVE-2023-48795)',
    severity: 'medium',
    references: [
      'CVE-2023-48795',
      'https://terrapin-attack.com',
      'https://github.com/jtesta/ssh-audit/blob/master/src/ssh_audit/ssh_audit.py',
      CIS_DEBIAN_12('5.1.6'),
    ],
    remediation:
      'Upgrade openssh-server to a version with strict KEX (OpenSSH >= 9.6; Debian 12 >= 1:9.2p1-2+deb12u2). Until then set "Ciphers -chacha20-poly1305@openssh.com" and, if CBC ciphers stay enabled, "MACs -*-etm@openssh.com".',
    evaluate(facts) {
      const ciphers = offeredList(facts, 'cipher');
      if (typeof ciphers === 'string') return unknown(ciphers);
      const chacha = ciphers.names.filter((c) => lookupAlgorithm('cipher', c)?.chacha === true);
      const cbc = ciphers.names.filter((c) => lookupAlgorithm('cipher', c)?.cbc === true);
      let etm: string[] = [];
      const modes: string[] = [];
      if (chacha.length > 0) modes.push(chacha.join(', '));
      if (cbc.length > 0) {
        const macs = offeredList(facts, 'mac');
        if (typeof macs === 'string') {
          if (modes.length === 0)
            return unknown(`CBC ciphers are offered (${cbc.join(', ')}) but the MAC list is unknown: ${macs}`);
        } else {
          etm = macs.names.filter((m) => lookupAlgorithm('mac', m)?.etm === true);
          if (etm.length > 0) modes.push(`CBC (${cbc.join(', ')}) with encrypt-then-MAC (${etm.join(', ')})`);
        }
      }
      if (modes.length === 0)
        return pass(
          'neither chacha20-poly1305 nor a CBC cipher with an encrypt-then-MAC MAC is offered',
          ciphers.evidence,
        );
      const sk = strictKex(facts);
      const what = `vulnerable modes offered: ${modes.join('; ')}`;
      if (sk.strict === true) {
        return pass(
          `strict KEX (kex-strict-s-v00@openssh.com), the Terrapin countermeasure, protects ${modes.join('; ')}: ${sk.why}`,
          ciphers.evidence,
        );
      }
      if (sk.strict === false)
        return fail(`${what} without strict KEX (kex-strict-s-v00@openssh.com): ${sk.why}`, ciphers.evidence);
      return unknown(`${what}; whether strict KEX is offered is unknown: ${sk.why}`, ciphers.evidence);
    },
  },
  {
    id: 'ssh.required_rsa_size',
    title: 'sshd refuses RSA user and host keys below 2048 bits (RequiredRSASize)',
    severity: 'low',
    references: ['sshd_config(5) RequiredRSASize', 'https://www.ssh-audit.com/hardening_guides.html'],
    remediation: 'Set "RequiredRSASize 3072" (at least 2048) in /etc/ssh/sshd_config.d/, then reload sshd.',
    evaluate(facts) {
      const v = facts.version;
      if (v.source !== 'assumed' && !versionAtLeast(v, 9, 1))
        return skip(`OpenSSH ${v.major}.${v.minor} has no RequiredRSASize (added in 9.1)`);
      const cfg = facts.effective[0];
      if (!cfg) return unknown(noEffectiveReason(facts));
      const s = cfg.settings.get('requiredrsasize');
      const raw = s?.values[0];
      if (!s || raw === undefined) {
        return v.source === 'assumed'
          ? skip(
              'RequiredRSASize is not in the effective configuration and the OpenSSH version is unknown (it exists from 9.1)',
            )
          : unknown(`requiredrsasize is not in the effective configuration for ${cfg.context.label}`);
      }
      const n = Number(raw);
      const ev = settingEvidence('requiredrsasize', s);
      if (!Number.isInteger(n)) return unknown(`RequiredRSASize "${raw}" is not a number`, ev);
      if (n < MIN_REQUIRED_RSA_SIZE)
        return fail(`RequiredRSASize ${n} (${originOf(s)}): RSA keys down to ${n} bits are accepted`, ev);
      const note = n < 3072 ? '; the ssh-audit Debian 12 guide uses 3072' : '';
      return pass(`RequiredRSASize ${n} (${originOf(s)})${note}`, ev);
    },
  },
];
