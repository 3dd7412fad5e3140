/**
 * The collector's optional HTTPS (collector.tls): certificate, key and client CA read at start, where a wrong path
 * stops the start naming its key, and re-read when the files change so a certificate rotates without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Server as TlsServer, ServerOptions as TlsOptions } from 'node:https';
import type { Logger } from 'pino';
import type { CollectorTls } from '../config/config.js';
import { ConfigError } from '../config/config.js';

/** How often the TLS certificate and key files are checked for a change (rotation without restart). */
const TLS_RELOAD_EVERY_MS = 30_000;

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(key, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function tlsOptions(t: CollectorTls): TlsOptions {
  return {
    cert: readPem(t.certFile, 'collector.tls.certFile'),
    key: readPem(t.keyFile, 'collector.tls.keyFile'),
    minVersion: 'TLSv1.2',
    ...(t.clientCaFile !== undefined
      ? {
          ca: readPem(t.clientCaFile, 'collector.tls.clientCaFile'),
          requestCert: true,
          rejectUnauthorized: t.requireClientCert,
        }
      : {}),
  };
}

/** Modification times and sizes of the TLS files: a change means a rotation to load. */
function tlsFileStamp(t: CollectorTls): string {
  return [t.certFile, t.keyFile, t.clientCaFile]
    .map((f) => {
      if (f === undefined) return '';
      try {
        const st = statSync(f);
        return `${st.mtimeMs}:${st.size}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/** Reloads the server's certificate when its files change; the timer is cleared when the collector closes. */
export function watchTlsFiles(server: Server, tls: CollectorTls, log: Logger): NodeJS.Timeout {
  let loaded = tlsFileStamp(tls);
  const timer = setInterval(() => {
    const stamp = tlsFileStamp(tls);
    if (stamp === loaded) return;
    try {
      // An https.Server has every member of http.Server used by the collector, and setSecureContext.
      (server as unknown as TlsServer).setSecureContext(tlsOptions(tls));
      loaded = stamp;
      log.info({ certFile: tls.certFile }, 'TLS certificate reloaded');
    } catch (e) {
      // Half-written files during a rotation: keep serving with the old ones and try again.
      log.error(
        { certFile: tls.certFile, err: (e as Error).message.slice(0, 200) },
        'TLS certificate reload failed; keeping the previous one',
      );
    }
  }, TLS_RELOAD_EVERY_MS);
  timer.unref();
  return timer;
}
