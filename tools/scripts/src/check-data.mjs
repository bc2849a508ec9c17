// Check a MATH-style JSONL file (default: ../shared/data/math500/test.jsonl): every line parses, has the
// fields problem/answer/subject/level/unique_id with the right types, ids are unique. Prints a summary
// by subject and level; exits 1 naming file:line:field on the first bad record.
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const file = resolve(process.argv[2] ?? resolve(root, '../shared/data/math500/test.jsonl'));
if (!existsSync(file)) {
  console.error(`${file}: not found; pass a path: node tools/scripts/src/check-data.mjs FILE.jsonl`);
  process.exit(1);
}
const text = readFileSync(file, 'utf8');
const fields = { problem: 'string', answer: 'string', subject: 'string', unique_id: 'string' };
const ids = new Set();
const bySubject = new Map();
let count = 0;
for (const [index, line] of text.split('\n').entries()) {
  if (!line.trim()) continue;
  const where = `${file}:${index + 1}`;
  let record;
  try {
    record = JSON.parse(line);
  } catch (error) {
    console.error(`${where}: malformed JSON: ${error.message}`);
    process.exit(1);
  }
  for (const [field, type] of Object.entries(fields)) {
    if (typeof record[field] !== type) {
      console.error(`${where}: field '${field}': expected ${type}, got ${JSON.stringify(record[field])}`);
      process.exit(1);
    }
  }
  if (record.level !== null && !Number.isInteger(record.level)) {
    console.error(`${where}: field 'level': expected an integer or null, got ${JSON.stringify(record.level)}`);
    process.exit(1);
  }
  if (ids.has(record.unique_id)) {
    console.error(`${where}: field 'unique_id': duplicate ${record.unique_id}`);
    process.exit(1);
  }
  ids.add(record.unique_id);
  bySubject.set(record.subject, (bySubject.get(record.subject) ?? 0) + 1);
  count++;
}
console.log(`${file}: ${count} records, sha256 ${createHash('sha256').update(text).digest('hex')}`);
for (const [subject, n] of [...bySubject].sort()) console.log(`  ${subject}: ${n}`);
