// The config layer's public surface.
export type * from './types.js';
export { Diagnostics, formatDiagnostic, didYouMean, levenshtein } from './diagnostics.js';
export { readProperties, addPropertyLine, resolveReferences, type PropertyMap, type PropertyEntry } from './properties.js';
export { parseJkInt, parseJkBool, splitJkList } from './values.js';
export { validateWorkers, DEFAULT_CONNECTION_POOL_SIZE } from './workers.js';
export { parseMountRule, readUriWorkerMap } from './mounts.js';
export { compileMounts, sortByPrecedence, type MountMatcher } from './matcher.js';
export { readHttpdConf, splitArgs, type HttpdConfig, type HttpdVhost } from './httpd.js';
export { compileVhosts, hostName, type VhostResolver, type VhostResolution } from './vhosts.js';
export { loadConfig, type LoadOptions } from './load.js';
export { dumpConfig } from './dump.js';
