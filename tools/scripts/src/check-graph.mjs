// Check the Nx project graph: apps may depend on packages, packages on @oreal-ts/core only, except
// the trainer (whose job is composition) — no other edges between packages.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'graph.json';
const { graph } = JSON.parse(readFileSync(file, 'utf8'));
const composers = new Set(['trainer']);
const bad = [];
for (const [source, deps] of Object.entries(graph.dependencies)) {
  const node = graph.nodes[source];
  if (!node || node.type === 'npm' || source.startsWith('npm:')) continue;
  for (const dep of deps) {
    const target = graph.nodes[dep.target];
    if (!target || dep.target.startsWith('npm:')) continue;
    const isApp = node.data.root.startsWith('apps/');
    const targetIsApp = target.data.root.startsWith('apps/');
    if (source === 'core') bad.push(`${source} → ${dep.target}: core depends on nothing`);
    else if (!isApp && targetIsApp) bad.push(`${source} → ${dep.target}: a package must not depend on an app`);
    else if (!isApp && !node.data.root.startsWith('tools/') && !/core$/.test(dep.target) && !composers.has(source.replace('@oreal-ts/', '')))
      bad.push(`${source} → ${dep.target}: packages meet only through @oreal-ts/core`);
  }
}
if (bad.length) {
  console.error(`dependency graph violations:\n  ${bad.join('\n  ')}`);
  process.exit(1);
}
console.log(`dependency graph ok (${Object.keys(graph.nodes).length} projects)`);
