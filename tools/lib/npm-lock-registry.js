// Points every "resolved" address of an npm lock file (lockfileVersion 1) at one
// registry: node tools/lib/npm-lock-registry.js REGISTRY FILE...
// KFP's UI lock files name a private registry for some packages; a tarball's place in
// any npm registry is REGISTRY/<name>/-/<file>, and the "integrity" fields still pin
// every tarball's content.
'use strict';
const fs = require('fs');

function repoint(dependencies, registry) {
  for (const [name, dep] of Object.entries(dependencies || {})) {
    if (dep.resolved && !dep.resolved.startsWith('file:')) {
      const file = dep.resolved.split('/').pop();
      dep.resolved = `${registry}/${name}/-/${file}`;
    }
    repoint(dep.dependencies, registry);
  }
}

const [registry, ...files] = process.argv.slice(2);
for (const file of files) {
  const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
  repoint(lock.dependencies, registry.replace(/\/+$/, ''));
  fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
}
