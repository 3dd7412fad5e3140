/**
 * A misbehaving HTTP receiver on 127.0.0.1 for the fault tests, over raw TCP so that it can also answer
 * what no HTTP server would: bytes that are not HTTP, a response cut in the middle, nothing at all.
 * Each request is answered by the next fault of a script, then by `ok` forever. A request whose answer
 * did not reach the client as a complete 2xx is recorded as such, so the tests can tell an allowed
 * re-delivery (the receiver had it, the sender never heard back) from a real duplicate.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export type Fault =
  | 'ok' // 200 with a JSON body
  | 'ok-bad-json' // 200 whose body is not JSON (the contract: any 2xx acknowledges)
  | '500'
  | '503-retry-after' // 503 with Retry-After: 1
  | '429' // 429 with Retry-After: 1
  | '400' // a permanent refusal (configuration error)
  | '401-echo' // a refusal that echoes the request line, headers and body back (receivers do)
  | 'garbage' // bytes that are not HTTP, then close
  | 'truncated' // a 200 status line and headers announcing 100 bytes, 10 sent, then close
  | 'slow' // the 200 comes after `slowMs` (longer than the sink's timeout)
  | 'hang-up'; // close without a byte

export interface Request {
  /** Position in arrival order. */
  n: number;
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  fault: Fault;
  /** True when the client got a complete 2xx answer (it has an acknowledgement). */
  acknowledged: boolean;
}

export interface Receiver {
  port: number;
  url: string;
  requests: Request[];
  /** Faults for the next requests, in order; `ok` once the script is used up. */
  script: Fault[];
  /** Scripts for requests whose path starts with the key, used before `script`. */
  scripts: Record<string, Fault[]>;
  slowMs: number;
  /** Late answers (fault `slow`) not written yet. */
  lateWaiting(): number;
  /** Stop listening (connections refused from now on) and drop open connections. */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

const RETRY_AFTER_SECONDS = 1;

export async function startReceiver(
  opts: { port?: number; script?: Fault[]; slowMs?: number; listen?: boolean } = {},
): Promise<Receiver> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let server: Server | undefined;
  const r: Receiver = {
    port: opts.port ?? 0,
    url: '',
    requests: [],
    script: [...(opts.script ?? [])],
    scripts: {},
    slowMs: opts.slowMs ?? 1500,
    lateWaiting: () => timers.size,
    down,
    up,
    close: down,
  };

  function onConnection(sock: Socket): void {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1').split('\r\n');
        const [method = '', path = ''] = head[0]!.split(' ');
        const headers: Record<string, string> = {};
        for (const l of head.slice(1)) {
          const i = l.indexOf(':');
          if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const len = Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
        buf = buf.subarray(end + 4 + len);
        const own = Object.entries(r.scripts).find(
          ([prefix, faults]) => path.startsWith(prefix) && faults.length > 0,
        )?.[1];
        const fault = own?.shift() ?? r.script.shift() ?? 'ok';
        const req: Request = {
          n: r.requests.length,
          at: Date.now(),
          method,
          path,
          headers,
          body,
          fault,
          acknowledged: false,
        };
        r.requests.push(req);
        answer(sock, req);
      }
    });
  }

  function respond(sock: Socket, status: string, body: string, extra: string[] = []): void {
    sock.write(
      [
        `HTTP/1.1 ${status}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: keep-alive',
        ...extra,
        '',
        body,
      ].join('\r\n'),
    );
  }

  function answer(sock: Socket, req: Request): void {
    switch (req.fault) {
      case 'ok':
        req.acknowledged = true;
        return respond(sock, '200 OK', '{"ok":true}');
      case 'ok-bad-json':
        req.acknowledged = true;
        return respond(sock, '200 OK', '{"ok": tru');
      case '500':
        return respond(sock, '500 Internal Server Error', '{"error":"boom"}');
      case '503-retry-after':
        return respond(sock, '503 Service Unavailable', '{"error":"later"}', [`Retry-After: ${RETRY_AFTER_SECONDS}`]);
      case '429':
        return respond(sock, '429 Too Many Requests', '{"error":"rate limited"}', [
          `Retry-After: ${RETRY_AFTER_SECONDS}`,
        ]);
      case '400':
        return respond(sock, '400 Bad Request', '{"error":"invalid payload"}');
      case '401-echo':
        return respond(
          sock,
          '401 Unauthorized',
          JSON.stringify({
            error: 'bad credentials',
            path: req.path,
            headers: req.headers,
            body: req.body.slice(0, 4000),
          }),
        );
      case 'garbage':
        sock.end('\x00\x01SSH-2.0-not-http\r\n\xff\xfe garbage\r\n\r\n');
        return;
      case 'truncated':
        sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ok":true');
        sock.destroy();
        return;
      case 'slow': {
        const t = setTimeout(() => {
          timers.delete(t);
          // The client gave up before this; the write goes nowhere (or to a closed socket).
          if (!sock.destroyed) respond(sock, '200 OK', '{"ok":true,"late":true}');
        }, r.slowMs);
        timers.add(t);
        return;
      }
      case 'hang-up':
        sock.destroy();
        return;
    }
  }

  async function up(): Promise<void> {
    if (server) return;
    const s = createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(r.port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve();
      });
    });
    server = s;
    r.port = (s.address() as { port: number }).port;
    r.url = `http://127.0.0.1:${r.port}/hook`;
  }

  async function down(): Promise<void> {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  if (opts.listen === false) {
    // Reserve a port number, then let it go: connections to it are refused until up().
    await up();
    await down();
  } else await up();
  return r;
}
