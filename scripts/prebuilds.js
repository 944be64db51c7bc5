// The prebuilt binaries the package claims, and whether the ones in
// prebuilds/ were built from the sources in this checkout.
//
// package.json's "fringe.prebuilds" is the one list of what ships:
// { "<platform>-<arch>": { "<node major>": <ABI> } }. scripts/prebuild.js
// builds that list and records, per binary, a digest of the sources it was
// built from (build-matrix/prebuilds.json, never shipped); scripts/prepack.js
// refuses to pack a binary that is missing or was built from other sources.

'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const recordFile = path.join(root, 'build-matrix', 'prebuilds.json');

/** [{ platform, major, abi, file }] for every binary package.json claims. */
function claimed() {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const table = manifest.fringe?.prebuilds ?? {};
  return Object.entries(table).flatMap(([platform, abis]) =>
    Object.entries(abis).map(([major, abi]) => ({
      platform,
      major: Number(major),
      abi,
      file: path.join('prebuilds', platform, `node.abi${abi}.node`),
    })),
  );
}

/** Every file the addon's build reads, relative to the checkout, sorted. */
function buildInputs() {
  const under = (dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name)));
  return ['binding.gyp', ...under('native/addon'), ...under('native/v8'), ...under('native/include')].sort();
}

/** A digest of the addon's sources: names and contents. */
function sourceDigest() {
  const hash = crypto.createHash('sha256');
  for (const file of buildInputs()) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** What scripts/prebuild.js recorded: { "<file>": { sources, node } }. */
function recorded() {
  try {
    return JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  } catch {
    return {};
  }
}

/** Records that `file` (relative) was built by node `version` from the current sources. */
function record(file, version, digest = sourceDigest()) {
  const all = recorded();
  all[file] = { sources: digest, node: version };
  fs.mkdirSync(path.dirname(recordFile), { recursive: true });
  fs.writeFileSync(recordFile, `${JSON.stringify(all, null, 2)}\n`);
}

/**
 * The state of each claimed binary: { missing, stale, fresh } (lists of
 * claimed entries) and `unclaimed`: binaries in prebuilds/ that
 * package.json does not list.
 */
function status() {
  const digest = sourceDigest();
  const records = recorded();
  const result = { missing: [], stale: [], fresh: [], unclaimed: [] };
  const claims = claimed();
  for (const claim of claims) {
    if (!fs.existsSync(path.join(root, claim.file))) result.missing.push(claim);
    else if (records[claim.file]?.sources !== digest) result.stale.push(claim);
    else result.fresh.push(claim);
  }
  const dir = path.join(root, 'prebuilds');
  if (fs.existsSync(dir)) {
    const present = fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name)));
    result.unclaimed = present.filter((file) => !claims.some((claim) => claim.file === file));
  }
  return result;
}

/** "ABI 127 (Node 22)" */
function describeClaim(claim) {
  return `${claim.platform} ABI ${claim.abi} (Node ${claim.major})`;
}

module.exports = { claimed, sourceDigest, recorded, record, status, describeClaim, root };
