import { describe, it, expect } from 'vitest';
import { escapeHtml, renderPage } from '../../src/collector/page.js';

describe('fleet page', () => {
  it('escapes everything it shows', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderPage(
      [{ node: '<script>alert(1)</script>', lastSeenAt: '2026-11-24T10:00:00.000Z', failing: ['x.<b>'] }],
      [{ key: 'k', check: '"><img src=x onerror=alert(1)>', severity: 'high', status: 'open', nodes: ['<i>n</i>'], openedAt: '2026', updatedAt: '2026' }],
      new Date('2026-11-24T10:01:00.000Z'),
    );
    expect(html).not.toMatch(/<script>|<img|<i>|<b>/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('60s ago');
  });
});
