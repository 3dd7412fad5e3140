/** The pure payload builders, without a network. */
import { describe, it, expect } from 'vitest';
import type { GroupChange } from '../../src/collector/sink.js';
import { escapeMrkdwn, slackPayload, SLACK_LIMITS } from '../../src/sinks/slack.js';
import { pagerdutyEvent, PAGERDUTY_SEVERITY } from '../../src/sinks/pagerduty.js';
import { truncate } from '../../src/sinks/text.js';
import { probeOf } from '../../src/contracts.js';

const KEY = 'a'.repeat(64);
function change(over: Partial<GroupChange> = {}): GroupChange {
  const nodes = Array.from({ length: 12 }, (_, i) => `worker-${String(i + 1).padStart(2, '0')}`);
  return {
    key: KEY,
    check: 'ssh.password_auth',
    severity: 'high',
    title: 'SSH password authentication is disabled',
    action: 'open',
    status: 'open',
    nodeCount: 12,
    nodes,
    added: nodes,
    removed: [],
    openedAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:00.000Z',
    ...over,
  };
}

describe('slackPayload', () => {
  it('one message per group: header, severity, the first 10 nodes and "and M more", context, fallback text', () => {
    const m = slackPayload(change());
    expect(m.text).toBe('[HIGH] ssh.password_auth failing on 12 nodes: SSH password authentication is disabled');
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(m.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'ssh.password_auth failing on 12 nodes' },
    });
    expect(m.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*SSH password authentication is disabled*\nSeverity: *HIGH* · new' },
    });
    const nodes = (m.blocks[2] as { text: { text: string } }).text.text;
    expect(nodes).toBe(
      '*Nodes:* ' +
        Array.from({ length: 10 }, (_, i) => `\`worker-${String(i + 1).padStart(2, '0')}\``).join(', ') +
        ' and 2 more',
    );
    expect(nodes).not.toContain('worker-11');
    const ctx = m.blocks[3] as { elements: { text: string }[] };
    expect(ctx.elements[0]!.text).toContain('group aaaaaaaaaaaa');
  });

  it('counts nodes beyond the 100 the change carries; singular for one node; nodesShown option', () => {
    const many = slackPayload(change({ nodeCount: 250, nodes: Array.from({ length: 100 }, (_, i) => `n${i}`) }));
    expect((many.blocks[2] as { text: { text: string } }).text.text).toMatch(/`n9` and 240 more$/);
    const one = slackPayload(change({ nodeCount: 1, nodes: ['w1'], added: ['w1'] }), { nodesShown: 3 });
    expect(one.blocks[0]).toMatchObject({ text: { text: 'ssh.password_auth failing on 1 node' } });
    expect((one.blocks[2] as { text: { text: string } }).text.text).toBe('*Nodes:* `w1`');
  });

  it('update lists who joined and who recovered', () => {
    const m = slackPayload(change({ action: 'update', nodeCount: 2, nodes: ['a', 'c'], added: ['c'], removed: ['b'] }));
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect((m.blocks[3] as { text: { text: string } }).text.text).toBe('joined: `c`\nrecovered: `b`');
    expect((m.blocks[1] as { text: { text: string } }).text.text).toContain('· updated');
  });

  it('resolved message', () => {
    const m = slackPayload(
      change({
        action: 'resolve',
        status: 'resolved',
        nodeCount: 0,
        nodes: [],
        added: [],
        removed: ['w1', 'w2'],
        updatedAt: '2026-11-24T11:00:00.000Z',
      }),
    );
    expect(m.text).toBe('[HIGH] ssh.password_auth resolved: SSH password authentication is disabled');
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'ssh.password_auth resolved' } });
    expect((m.blocks[1] as { text: { text: string } }).text.text).toContain('resolved on all nodes');
    expect((m.blocks[2] as { text: { text: string } }).text.text).toBe('last recovered: `w1`, `w2`');
    expect((m.blocks[3] as { elements: { text: string }[] }).elements[0]!.text).toContain(
      'resolved 2026-11-24T11:00:00.000Z',
    );
  });

  it('escapes mrkdwn specials <>& in titles and node names (no links or mentions injected)', () => {
    expect(escapeMrkdwn('a <b> & <!channel>')).toBe('a &lt;b&gt; &amp; &lt;!channel&gt;');
    const m = slackPayload(change({ title: 'Fix <http://evil|click> & <!here>', nodes: ['n<1>&'], nodeCount: 1 }));
    const all = JSON.stringify(m.blocks.filter((b) => b.type !== 'header')) + m.text;
    expect(all).not.toMatch(/<|>|&(?!amp;|lt;|gt;)/);
    expect((m.blocks[1] as { text: { text: string } }).text.text).toContain(
      '*Fix &lt;http://evil|click&gt; &amp; &lt;!here&gt;*',
    );
    expect((m.blocks[2] as { text: { text: string } }).text.text).toBe('*Nodes:* `n&lt;1&gt;&amp;`');
  });

  it('respects Block Kit limits: header 150, sections 3000, at most 50 blocks', () => {
    const m = slackPayload(change({ check: 'c.' + 'x'.repeat(400), title: 'y'.repeat(5000) }));
    const header = (m.blocks[0] as { text: { text: string } }).text.text;
    expect(Array.from(header)).toHaveLength(SLACK_LIMITS.header);
    expect(header.endsWith('…')).toBe(true);
    for (const b of m.blocks)
      if (b.type === 'section') expect(Array.from(b.text.text).length).toBeLessThanOrEqual(SLACK_LIMITS.section);
    expect(m.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  });
});

describe('pagerdutyEvent', () => {
  it('trigger with the group key as dedup_key, mapped severity, source, component, group, class, custom_details', () => {
    const e = pagerdutyEvent(change(), 'ROUTINGKEY');
    expect(e).toEqual({
      routing_key: 'ROUTINGKEY',
      event_action: 'trigger',
      dedup_key: KEY,
      payload: {
        summary:
          '[high] ssh.password_auth failing on 12 nodes: SSH password authentication is disabled (worker-01, worker-02, worker-03, worker-04, worker-05 and 7 more)',
        source: 'hostward-collector',
        severity: 'error',
        timestamp: '2026-11-24T10:00:00.000Z',
        component: 'ssh',
        group: 'ssh.password_auth',
        class: 'hostward/high',
        custom_details: {
          check: 'ssh.password_auth',
          severity: 'high',
          node_count: 12,
          nodes: change().nodes,
          added: change().nodes,
          removed: [],
          opened_at: '2026-11-24T10:00:00.000Z',
          updated_at: '2026-11-24T10:00:00.000Z',
        },
      },
    });
    expect(pagerdutyEvent(change({ action: 'update' }), 'K').event_action).toBe('trigger');
    expect(pagerdutyEvent(change(), 'K', { source: 'c1' }).payload?.source).toBe('c1');
  });

  it('resolve carries only the same dedup_key', () => {
    expect(pagerdutyEvent(change({ action: 'resolve', status: 'resolved', nodeCount: 0, nodes: [] }), 'K')).toEqual({
      routing_key: 'K',
      event_action: 'resolve',
      dedup_key: KEY,
    });
  });

  it('severity mapped deliberately: only critical pages as critical', () => {
    expect(PAGERDUTY_SEVERITY).toEqual({
      critical: 'critical',
      high: 'error',
      medium: 'warning',
      low: 'info',
      info: 'info',
    });
    for (const [ours, theirs] of Object.entries(PAGERDUTY_SEVERITY)) {
      expect(pagerdutyEvent(change({ severity: ours as GroupChange['severity'] }), 'K').payload?.severity).toBe(theirs);
    }
  });

  it('summary truncated to 1024 characters (code points)', () => {
    const s = pagerdutyEvent(change({ title: '🔥'.repeat(3000) }), 'K').payload!.summary;
    expect(Array.from(s)).toHaveLength(1024);
    expect(s.endsWith('…')).toBe(true);
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
  });
});

describe('probeOf (the collector and the sinks read check ids alike)', () => {
  it('is what precedes the first dot; an id without one is all probe; a leading dot names no probe', () => {
    expect(probeOf('ssh.password_auth')).toBe('ssh');
    expect(probeOf('hostward.node_silent')).toBe('hostward');
    expect(probeOf('kernel.sysctl.net.ipv4')).toBe('kernel');
    expect(probeOf('ssh')).toBe('ssh');
    expect(probeOf('.password_auth')).toBe('');
    expect(probeOf('')).toBe('');
  });
});
