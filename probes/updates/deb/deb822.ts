/** deb822 control-file paragraphs: the engine's parser (src/host/facts/dpkg/deb822.ts). */
export { parseDeb822 } from '../../../src/sdk.js';
export type { Deb822Paragraph as Paragraph, Deb822Problem, Deb822Options, Deb822Result } from '../../../src/sdk.js';
