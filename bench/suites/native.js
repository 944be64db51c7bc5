'use strict';
// Native switch costs, measured inside the addon: a context-switch round
// trip, a C++ Generator resume + suspend, a glibc swapcontext round trip and
// a non-inlined indirect call + return. The four are interleaved over many
// rounds and each reported as its fastest round: a noisy moment of the
// machine hits them alike, and noise only ever adds time.

const { binding } = require('../../dist/binding.js');

const ROUNDS = Number(process.env.FRINGE_BENCH_ROUNDS || 21);
const plan = {
  native_swap_roundtrip_ns: ['swap', 2e6],
  native_generator_roundtrip_ns: ['generator', 2e6],
  swapcontext_roundtrip_ns: ['swapcontext', 2e4],
  indirect_call_ns: ['call', 2e7],
};

const samples = Object.fromEntries(Object.keys(plan).map((k) => [k, []]));
for (const [, [kind, n]] of Object.entries(plan)) binding.benchNative(kind, n / 10);  // warm up
for (let round = 0; round < ROUNDS; round++) {
  for (const [key, [kind, n]] of Object.entries(plan)) samples[key].push(binding.benchNative(kind, n));
}
// The fastest round: noise on a shared machine only ever adds time.
const best = (xs) => Math.min(...xs);
const result = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, +best(xs).toFixed(3)]));
process.stdout.write(JSON.stringify(result) + '\n');
