/** GET /: a minimal page of the fleet for people. Everything from the database is escaped. */
import type { AlertGroup, NodeSummary } from '../contracts.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderPage(nodes: readonly NodeSummary[], alerts: readonly AlertGroup[], now = new Date()): string {
  const e = escapeHtml;
  const open = alerts.filter((a) => a.status === 'open');
  const ago = (iso: string) => {
    const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
    return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
  };
  const alertRows = open
    .map((a) => `<tr><td>${e(a.severity)}</td><td>${e(a.check)}</td><td>${a.nodes.length}</td><td>${e(a.nodes.slice(0, 20).join(', '))}${a.nodes.length > 20 ? ', …' : ''}</td><td>${e(a.openedAt)}</td></tr>`)
    .join('\n');
  const nodeRows = nodes
    .map((n) => `<tr><td>${e(n.node)}</td><td title="${e(n.lastSeenAt)}">${e(ago(n.lastSeenAt))}</td><td>${n.failing.length}</td><td>${e(n.failing.join(', '))}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hostward fleet</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}</style>
</head><body>
<h1>hostward fleet</h1>
<p>${nodes.length} nodes, ${open.length} open alert groups.</p>
<h2>Failing checks</h2>
<table><tr><th>severity</th><th>check</th><th>nodes</th><th>which</th><th>since</th></tr>
${alertRows}
</table>
<h2>Nodes</h2>
<table><tr><th>node</th><th>last seen</th><th>failing</th><th>checks</th></tr>
${nodeRows}
</table>
</body></html>
`;
}
