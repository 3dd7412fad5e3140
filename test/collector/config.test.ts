import { describe, it, expect } from 'vitest';
import { applyEnv, ConfigError, validateConfig, defaultConfig } from '../../src/config/config.js';

const ctx = { checkIds: new Set<string>(), probes: new Map() };

describe('collector and alert configuration', () => {
  it('defaults', () => {
    const c = defaultConfig();
    expect(c.collector).toMatchObject({
      port: 9751,
      db: '/var/lib/hostward/collector.db',
      silentAfterSeconds: 900,
      maxBodyBytes: 4 * 1024 * 1024,
    });
    expect(c.agent).toMatchObject({
      resendIntervalSeconds: 3600,
      unknownGraceScans: 0,
      retryInitialMs: 1000,
      retryMaxMs: 300_000,
    });
  });

  it('reads the collector section and names the bad key', () => {
    const c = validateConfig(
      { collector: { port: 9000, db: '/tmp/x.db', tokensFile: '/t', silentAfterSeconds: 60, fileSink: '-' } },
      ctx,
    );
    expect(c.collector).toMatchObject({
      port: 9000,
      db: '/tmp/x.db',
      tokensFile: '/t',
      silentAfterSeconds: 60,
      fileSink: '-',
    });
    expect(() => validateConfig({ collector: { port: 'x' } }, ctx)).toThrow(/collector\.port: must be an integer/);
    expect(() => validateConfig({ collector: { sink: 'x' } }, ctx)).toThrow(/collector\.sink: unknown key/);
    expect(() => validateConfig({ collector: { silentAfterSeconds: 0 } }, ctx)).toThrow(ConfigError);
    expect(() => validateConfig({ collector: { deliveryRetryInitialMs: 10, deliveryRetryMaxMs: 5 } }, ctx)).toThrow(
      /collector\.deliveryRetryMaxMs/,
    );
    expect(() => validateConfig({ agent: { unknownGraceScans: -1 } }, ctx)).toThrow(/agent\.unknownGraceScans/);
    expect(() => validateConfig({ agent: { outboxMaxBytes: 10 } }, ctx)).toThrow(/agent\.outboxMaxBytes/);
  });

  it('collector.tls, collector.retention and agent.tls', () => {
    expect(defaultConfig().collector.retention).toEqual({ eventsMaxAgeDays: 30 });
    expect(defaultConfig().collector.tls).toBeUndefined();
    const c = validateConfig(
      {
        collector: {
          tls: { certFile: '/c.pem', keyFile: '/k.pem', clientCaFile: '/ca.pem' },
          retention: { eventsMaxAgeDays: 7 },
        },
      },
      ctx,
    );
    expect(c.collector.tls).toEqual({
      certFile: '/c.pem',
      keyFile: '/k.pem',
      clientCaFile: '/ca.pem',
      requireClientCert: true,
    });
    expect(c.collector.retention).toEqual({ eventsMaxAgeDays: 7 });
    expect(
      validateConfig({ collector: { tls: { certFile: '/c.pem', keyFile: '/k.pem' } } }, ctx).collector.tls,
    ).toEqual({ certFile: '/c.pem', keyFile: '/k.pem', requireClientCert: false });
    expect(
      validateConfig(
        { collector: { tls: { certFile: '/c', keyFile: '/k', clientCaFile: '/ca', requireClientCert: false } } },
        ctx,
      ).collector.tls?.requireClientCert,
    ).toBe(false);
    expect(() => validateConfig({ collector: { tls: { certFile: '/c' } } }, ctx)).toThrow(
      /collector\.tls: certFile and keyFile are required/,
    );
    expect(() =>
      validateConfig({ collector: { tls: { certFile: '/c', keyFile: '/k', requireClientCert: true } } }, ctx),
    ).toThrow(/collector\.tls\.requireClientCert: needs collector\.tls\.clientCaFile/);
    expect(() =>
      validateConfig({ collector: { tls: { certFile: '/c', keyFile: '/k', requireClientCert: 'yes' } } }, ctx),
    ).toThrow(/collector\.tls\.requireClientCert: must be true or false/);
    expect(() => validateConfig({ collector: { tls: { certFile: '/c', keyFile: '/k', ca: '/x' } } }, ctx)).toThrow(
      /collector\.tls\.ca: unknown key/,
    );
    expect(() => validateConfig({ collector: { tls: '/c' } }, ctx)).toThrow(/collector\.tls: must be a mapping/);
    expect(() => validateConfig({ collector: { retention: { eventsMaxAgeDays: 0 } } }, ctx)).toThrow(
      /collector\.retention\.eventsMaxAgeDays/,
    );
    expect(() => validateConfig({ collector: { retention: { days: 3 } } }, ctx)).toThrow(
      /collector\.retention\.days: unknown key/,
    );
    expect(
      validateConfig({ agent: { tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' } } }, ctx).agent.tls,
    ).toEqual({ caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' });
    expect(() => validateConfig({ agent: { tls: { certFile: '/c.pem' } } }, ctx)).toThrow(
      /agent\.tls: certFile and keyFile go together/,
    );
    expect(() => validateConfig({ agent: { tls: { caFile: 3 } } }, ctx)).toThrow(/agent\.tls\.caFile/);
  });

  it('collector.slackSendResolved is a boolean, read like sendResolved of a slack item of collector.sinks', () => {
    const url = { slackWebhookUrlFile: '/run/slack' };
    expect(validateConfig({ collector: url }, ctx).collector.slackSendResolved).toBe(true);
    expect(validateConfig({ collector: { ...url, slackSendResolved: false } }, ctx).collector.slackSendResolved).toBe(
      false,
    );
    for (const bad of ['false', 0, null])
      expect(() => validateConfig({ collector: { ...url, slackSendResolved: bad } }, ctx)).toThrow(
        `collector.slackSendResolved: must be true or false, got ${JSON.stringify(bad)}`,
      );
    const item = { name: 's', type: 'slack', webhookUrlFile: '/run/slack', sendResolved: 'no' };
    expect(() => validateConfig({ collector: { sinks: [item] } }, ctx)).toThrow(
      'collector.sinks[0].sendResolved: must be true or false, got "no"',
    );
  });

  it('environment: HOSTWARD_DB, HOSTWARD_TOKENS_FILE, HOSTWARD_FILE_SINK; a bad collector URL names the variable', () => {
    const c = applyEnv(defaultConfig(), {
      HOSTWARD_DB: '/data/c.db',
      HOSTWARD_TOKENS_FILE: '/run/tokens',
      HOSTWARD_FILE_SINK: '/var/log/alerts.ndjson',
    });
    expect(c.collector).toMatchObject({
      db: '/data/c.db',
      tokensFile: '/run/tokens',
      fileSink: '/var/log/alerts.ndjson',
    });
    expect(() => applyEnv(defaultConfig(), { HOSTWARD_COLLECTOR_URL: 'collector:9751' })).toThrow(
      /HOSTWARD_COLLECTOR_URL/,
    );
  });
});
