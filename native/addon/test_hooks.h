// Functions that exist only for the test suite: they crash the process on
// purpose (a native stack overflow, a stray write), so they are added only
// when FRINGE_TEST_HOOKS=1 is set when the addon loads.

#ifndef FRINGE_ADDON_TEST_HOOKS_H
#define FRINGE_ADDON_TEST_HOOKS_H

#include <v8.h>

namespace fringe {

/// With FRINGE_TEST_HOOKS=1 in the environment, adds `testHooks` to
/// `exports` (typed in lib/binding.ts); otherwise does nothing.
void InitializeTestHooks(v8::Local<v8::Context> context, v8::Local<v8::Object> exports);

}  // namespace fringe

#endif  // FRINGE_ADDON_TEST_HOOKS_H
