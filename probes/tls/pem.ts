/**
 * A pure PEM splitter (RFC 7468). node:crypto's X509Certificate parses only the first certificate of a bundle,
 * so every block is split out here. Only certificate blocks are decoded: a private key in the same file (the
 * kubelet's cert+key .pem) is noted by label and line and its content never decoded or kept.
 */

export const MAX_PEM_BLOCKS = 1000;
export const CERTIFICATE_LABELS: readonly string[] = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'];

export interface PemBlock {
  label: string;
  /** 1-based line of the BEGIN marker. */
  line: number;
  /** Decoded content; only for certificate labels. */
  der?: Buffer;
}

export interface PemProblem {
  line: number;
  reason: string;
}

export interface PemSplit {
  blocks: PemBlock[];
  problems: PemProblem[];
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]{1,64})-----\s*$/;
const END = /^-----END ([A-Z0-9 ]{1,64})-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function hasPemMarker(text: string): boolean {
  return text.includes('-----BEGIN ');
}

/** Strict base64 (RFC 7468 "strict" text: no characters outside the alphabet, correct padding). */
export function decodeBase64Strict(s: string): Buffer | undefined {
  const compact = s.replace(/[\s]/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

export function splitPem(text: string): PemSplit {
  const blocks: PemBlock[] = [];
  const problems: PemProblem[] = [];
  const lines = text.split(/\r?\n/);
  let open: { label: string; line: number; body: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    if (open === undefined) {
      const b = BEGIN.exec(line);
      if (!b) continue; // text around blocks (openssl x509 -text output, comments) is allowed
      if (blocks.length >= MAX_PEM_BLOCKS) {
        problems.push({ line: i + 1, reason: `more than ${MAX_PEM_BLOCKS} PEM blocks; the rest were not read` });
        break;
      }
      open = { label: b[1]!, line: i + 1, body: [] };
      continue;
    }
    const e = END.exec(line);
    if (e) {
      if (e[1] !== open.label) {
        problems.push({
          line: i + 1,
          reason: `"-----END ${e[1]}-----" closes "-----BEGIN ${open.label}-----" of line ${open.line}`,
        });
      } else if (CERTIFICATE_LABELS.includes(open.label)) {
        const der = decodeBase64Strict(open.body.join(''));
        if (der) blocks.push({ label: open.label, line: open.line, der });
        else problems.push({ line: open.line, reason: `the ${open.label} block is not valid base64` });
      } else blocks.push({ label: open.label, line: open.line });
      open = undefined;
      continue;
    }
    if (BEGIN.test(line)) {
      problems.push({ line: open.line, reason: `the ${open.label} block has no END line (truncated?)` });
      open = undefined;
      i--; // read this BEGIN again as a new block
      continue;
    }
    // RFC 1421 headers (Proc-Type, DEK-Info) appear only in encrypted keys, which are never decoded.
    if (CERTIFICATE_LABELS.includes(open.label)) open.body.push(line);
  }
  if (open) problems.push({ line: open.line, reason: `the ${open.label} block has no END line (truncated?)` });
  return { blocks, problems };
}
