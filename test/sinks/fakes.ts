/** Local receivers on 127.0.0.1 that answer like Slack's incoming webhooks and PagerDuty's Events API v2. */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  body: unknown;
  at: number;
}

export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Hold the answer this long (timeouts). */
  delayMs?: number;
}

export interface Fake {
  base: string;
  received: Received[];
  /** Decide the answer to the next request; default: the receiver's success. */
  answer: (r: Received) => Answer;
  close(): Promise<void>;
}

export const slackOk = (): Answer => ({ status: 200, body: 'ok', headers: { 'content-type': 'text/html' } });
export const pagerdutyOk = (r: Received): Answer => ({
  status: 202,
  body: JSON.stringify({
    status: 'success',
    message: 'Event processed',
    dedup_key: (r.body as { dedup_key?: string }).dedup_key,
  }),
  headers: { 'content-type': 'application/json' },
});

export async function startFake(defaultAnswer: (r: Received) => Answer): Promise<Fake> {
  const fake: Fake = { base: '', received: [], answer: defaultAnswer, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => (raw += s));
    req.on('end', () => {
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // kept as text
      }
      const r: Received = { path: req.url ?? '/', body, at: Date.now() };
      fake.received.push(r);
      const a = fake.answer(r);
      const send = () => {
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body);
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
