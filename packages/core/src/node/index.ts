/** Node-only helpers of @oreal-ts/core (file I/O). The main entry stays free of Node imports. */
export { readJsonl, readJsonlFile, JsonlWriter } from './jsonl-file';
export { writeFileAtomic, writeJsonAtomic } from './atomic-write';
