'use strict';
// GC and deoptimization torture under V8's stress flags, each in a child
// process: 200 generators keep objects, strings and closures live across 200
// suspensions while the resumer allocates, checking every value after every
// switch, with full and minor GCs triggered inside resumed generators.
//
// (--random-gc-interval=100, once in the list, triggers no GC at all in
// release builds -- Node 20, 22, 24 and 26 alike, and --gc-interval neither:
// both need V8_ENABLE_ALLOCATION_TIMEOUT; measured with --trace-gc, 25 GCs
// with and without -- so its run repeated the no-flags one. --gc-global
// replaces it: every young-generation GC becomes a full mark-compact, about
// 320 of them at full size instead of 210 scavenges.)

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe: explain } = require('./helpers/child');
const { spawnNode, inParallel } = require('./helpers/parallel');
const { hasFlag, forceOptimization, secondaryRun } = require('./helpers/v8flags');
const { emulated, slower } = require('./helpers/emulation');

const ALL_FLAG_SETS = [
  [],
  ['--stress-scavenge=10'],
  ['--stress-incremental-marking'],
  ['--stress-marking=10'],
  ['--gc-global'],
  ['--stress-compaction-random'],
  [...forceOptimization(), '--deopt-every-n-times=3'],
  ['--maglev'],
  ['--always-sparkplug'],
  ['--verify-heap'],
  // V8 12+'s other young-generation collector (minor mark-sweep): its GCs
  // are not scavenges, so settled generators are never left out of them.
  ...(hasFlag('--minor-ms') ? [['--minor-ms'], ['--minor-ms', '--stress-incremental-marking']] : []),
];

// Under the matrix's other Node versions: no flags, the scavenger and the
// optimizer under stress, and the other young-generation collector (the
// sets issue 7 asks for), not every stress flag again.
const SECONDARY = (flags) =>
  flags.length === 0 || flags.includes('--stress-scavenge=10') || flags.includes('--deopt-every-n-times=3') || flags.includes('--minor-ms');
const FLAG_SETS = secondaryRun ? ALL_FLAG_SETS.filter((flags) => SECONDARY(flags) && !flags.includes('--stress-incremental-marking')) : ALL_FLAG_SETS;

const fixture = path.join(__dirname, 'fixtures', 'torture.js');

// Generators x switches. Every deoptimization walks every archived thread
// (Deoptimizer -> ThreadManager::IterateArchivedThreads), so forced
// deoptimization costs generators squared: on Node 24 the full size takes
// over four minutes of CPU under it, 50 generators 45 s. The extra Node
// versions of the matrix run that set at 50 x 200; Node 20 at full size.
// Under emulation (helpers/emulation.js) every set runs at 50 x 200.
function sizeFor(flags) {
  return emulated || (secondaryRun && flags.includes('--deopt-every-n-times=3')) ? ['50', '200'] : ['200', '200'];
}

// With one-page semi-spaces scavenges come every few kilobytes, and many of
// them leave settled suspended generators out: these runs check that doing
// so never loses a young object, under heap verification and GC stress.
const SMALL_SEMI_SPACE = ['--max-semi-space-size=1', '--semi-space-growth-factor=1'];
const ALL_FILTER_FLAG_SETS = [
  [...SMALL_SEMI_SPACE],
  [...SMALL_SEMI_SPACE, '--verify-heap'],
  // Incremental marking running during scavenges. (--stress-incremental-
  // marking would do, but from V8 13 it leaves no scavenges at all: every
  // young-generation collection becomes part of a mark-compact.)
  [...SMALL_SEMI_SPACE, '--stress-marking=10'],
  [...SMALL_SEMI_SPACE, '--stress-compaction-random'],
  [...SMALL_SEMI_SPACE, ...forceOptimization(), '--deopt-every-n-times=3'],
];

const FILTER_FLAG_SETS = secondaryRun
  ? ALL_FILTER_FLAG_SETS.filter((flags) => flags.length === SMALL_SEMI_SPACE.length || flags.includes('--verify-heap') || flags.includes('--deopt-every-n-times=3'))
  : ALL_FILTER_FLAG_SETS;

describe('GC torture (200 generators x 200 switches, every value checked)', function () {
  this.timeout(slower(30 * 60 * 1000));
  let results;
  before(async () => {
    results = await inParallel(FLAG_SETS.map((flags) => () => spawnNode(['--expose-gc', ...flags, fixture, ...sizeFor(flags)])));
  });
  FLAG_SETS.forEach((flags, index) => {
    it(`passes with ${flags.length ? flags.join(' ') : 'no flags'}`, () => {
      const result = results[index];
      assert.equal(result.status, 0, explain(result));
      assert.match(result.stdout, new RegExp(`^ok ${sizeFor(flags).join(' ')} \\d+$`, 'm'));
    });
  });
});

describe('GC torture with scavenges skipping settled generators', function () {
  this.timeout(slower(30 * 60 * 1000));
  let results;
  before(async () => {
    results = await inParallel(FILTER_FLAG_SETS.map((flags) => () => spawnNode(['--expose-gc', ...flags, fixture, ...sizeFor(flags)])));
  });
  FILTER_FLAG_SETS.forEach((flags, index) => {
    it(`passes with ${flags.join(' ')}, skipping settled generators thousands of times`, () => {
      const result = results[index];
      assert.equal(result.status, 0, explain(result));
      assert.match(result.stdout, new RegExp(`^ok ${sizeFor(flags).join(' ')} \\d+$`, 'm'));
      const [, skipped] = /^skipped (\d+) in \d+ scavenges$/m.exec(result.stdout);
      // Tens of thousands at full size; about 1 800 with 50 generators.
      const least = sizeFor(flags)[0] === '200' ? 10000 : 1000;
      assert.ok(Number(skipped) > least, `only ${skipped} skipped`);
    });
  });
});

// A fiber's first handle block lives in its stack (docs/DESIGN.md, section
// 4, "What is archived"); bodies that hold thousands of handles while
// suspended also hold blocks V8 allocated after it. Each set runs with that
// block, and the plain and scavenger-stress sets also without it (the
// measurement of V8's handle blocks failed on purpose: fringe then leaves
// every block to V8).
const UNMEASURED = { FRINGE_FAULT_INJECTION: 'handle_blocks_unmeasured' };
const ALL_HANDLE_SETS = [
  { flags: [] },
  { flags: ['--stress-scavenge=10'] },
  { flags: ['--verify-heap'] },
  { flags: ['--gc-global'] },
  { flags: ['--stress-compaction-random'] },
  { flags: ['--stress-marking=10'] },
  { flags: [...forceOptimization(), '--deopt-every-n-times=3'] },
  { flags: [], env: UNMEASURED },
  { flags: ['--stress-scavenge=10'], env: UNMEASURED },
];
const HANDLE_SETS = secondaryRun
  ? ALL_HANDLE_SETS.filter(({ flags, env }) => env || flags.length === 0 || flags.includes('--stress-scavenge=10'))
  : ALL_HANDLE_SETS;
const handleFixture = path.join(__dirname, 'fixtures', 'handle-blocks.js');
const handleSize = emulated ? ['4', '300'] : ['12', '600'];

describe('GC torture of handle blocks (bodies holding thousands of handles while suspended, every value checked)', function () {
  this.timeout(slower(10 * 60 * 1000));
  let results;
  before(async () => {
    results = await inParallel(
      HANDLE_SETS.map(({ flags, env }) => () => spawnNode(['--expose-gc', ...flags, handleFixture, ...handleSize], { env })),
    );
  });
  HANDLE_SETS.forEach(({ flags, env }, index) => {
    const how = `${flags.length ? flags.join(' ') : 'no flags'}${env ? ', blocks all V8\'s (FRINGE_FAULT_INJECTION=handle_blocks_unmeasured)' : ''}`;
    it(`passes with ${how}`, () => {
      const result = results[index];
      assert.equal(result.status, 0, explain(result));
      // Where the first blocks were: the measurement must find V8's (on every
      // Node and architecture the suite runs), and the injection must stop it.
      assert.match(result.stdout, new RegExp(`^ok ${handleSize.join(' ')} \\d+ ${env ? 'v8' : 'stack'}$`, 'm'));
    });
  });
});
