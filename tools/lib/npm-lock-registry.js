// Prepares a package's lock file for `npm ci` here:
//   node tools/lib/npm-lock-registry.js REGISTRY DIR... [--drop NAME]...
// - Points every "resolved" address (lockfileVersion 1 "dependencies", 2 and 3 "packages")
//   at one registry: a tarball's place in any npm registry is REGISTRY/<name>/-/<file>,
//   and the "integrity" fields still pin every tarball's content.
// - Drops each NAME from DIR/package.json and its lock: for registry placeholders of Node's
//   core modules (KFP's UI lists "fs": "0.0.1-security" as a devDependency; require('fs')
//   is Node's own, and registries may refuse the placeholder's tarball).
'use strict';
const fs = require('fs');
const path = require('path');

function repointTree(dependencies, registry) {
  for (const [name, dep] of Object.entries(dependencies || {})) {
    if (dep.resolved && !dep.resolved.startsWith('file:')) {
      dep.resolved = `${registry}/${name}/-/${dep.resolved.split('/').pop()}`;
    }
    repointTree(dep.dependencies, registry);
  }
}

function repointPackages(packages, registry) {
  for (const [where, pkg] of Object.entries(packages || {})) {
    if (pkg.resolved && /^https?:/.test(pkg.resolved)) {
      const name = pkg.name || where.split('node_modules/').pop();
      pkg.resolved = `${registry}/${name}/-/${pkg.resolved.split('/').pop()}`;
    }
  }
}

function drop(manifest, name) {
  for (const key of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    if (manifest && manifest[key]) delete manifest[key][name];
  }
}

const args = process.argv.slice(2);
const registry = args.shift().replace(/\/+$/, '');
const dirs = [];
const dropped = [];
while (args.length) {
  const arg = args.shift();
  if (arg === '--drop') dropped.push(args.shift());
  else dirs.push(arg);
}
for (const dir of dirs) {
  const manifestFile = path.join(dir, 'package.json');
  const lockFile = path.join(dir, 'package-lock.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  repointTree(lock.dependencies, registry);
  repointPackages(lock.packages, registry);
  for (const name of dropped) {
    drop(manifest, name);
    drop((lock.packages || {})[''], name);
    delete (lock.packages || {})[`node_modules/${name}`];
    delete (lock.dependencies || {})[name];
  }
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(lockFile, JSON.stringify(lock, null, 2) + '\n');
}
