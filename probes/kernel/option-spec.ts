/** The options of the kernel probe's section (`probes.kernel`), as documented, with the parser of ./options.ts. */
import { declareOptions, optionType as t } from '../../src/sdk.js';
import { DEFAULT_KERNEL_OPTIONS, parseKernelOptions } from './options.js';

export const KERNEL_OPTIONS = declareOptions({
  intro:
    'Per-check expected values of the sysctl checks, for hosts that need another value (Cilium and `rp_filter`), ' +
    'and whether the persisted configuration is judged too.',
  parse: (c) => parseKernelOptions(c),
  placeholders: { '<sysctl check id>': 'kernel.rp_filter' },
  keys: [
    {
      key: 'expect.<sysctl check id>',
      type: t.text('an integer, a list of integers (one of), or `{equal|oneOf|atLeast|atMost: n}`'),
      description: "Replaces the check's expectation.",
      defaultText: "the check's own (docs/checks.md)",
      example: [0, 1],
    },
    {
      key: 'persistence',
      type: t.bool,
      description:
        'Also judge what the next boot applies (sysctl.d and /etc/sysctl.conf, in systemd-sysctl order), as CIS ' +
        'does: a value right in force but not persisted fails. `false` judges the values in force only, for ' +
        'hosts that set sysctls another way (Talos, Bottlerocket).',
      default: DEFAULT_KERNEL_OPTIONS.persistence,
      example: false,
    },
  ],
});
