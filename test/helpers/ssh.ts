import type { ConnectionContext } from '../../probes/ssh/types.js';

/** A connection context for parser and Match tests: bob (groups bob, staff) from 10.1.2.3 to 10.0.0.1:22. */
export const testContext = (over: Partial<ConnectionContext> = {}): ConnectionContext => ({
  userClass: 'user',
  user: 'bob',
  groups: ['bob', 'staff'],
  host: 'ws.example.com',
  addr: '10.1.2.3',
  laddr: '10.0.0.1',
  lport: 22,
  label: 'bob',
  ...over,
});
