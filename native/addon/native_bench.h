// Native benchmarks, run inside the addon so that `npm run bench` measures
// them in the same process and run as the JavaScript numbers.

#ifndef FRINGE_ADDON_NATIVE_BENCH_H
#define FRINGE_ADDON_NATIVE_BENCH_H

#include <v8.h>

namespace fringe {

/// Adds benchNative(kind: string, iterations: number): number (ns per
/// operation) to `exports`. Kinds: "swap" (context switch round trip),
/// "generator" (C++ Generator resume + suspend), "swapcontext" (glibc round
/// trip), "call" (non-inlined indirect call + return).
void InitializeNativeBench(v8::Local<v8::Context> context, v8::Local<v8::Object> exports);

}  // namespace fringe

#endif  // FRINGE_ADDON_NATIVE_BENCH_H
