/** The probes' check catalogue, as the command line hands it to the collector (src/collector/catalogue.ts). */
import { PROBES } from '../../probes/registry.js';
import { checkCatalogue } from '../../src/collector/catalogue.js';
import { catalogue } from '../../src/scan/catalogue.js';

export const CATALOGUE = catalogue(PROBES);
export const CHECKS = checkCatalogue(CATALOGUE);
