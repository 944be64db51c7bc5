// The addon's JavaScript interface (wrapped by lib/*.ts, typed in
// lib/binding.ts), in three files by what they expose, and one for errors:
//
//   binding_module.cc      the module's lifecycle: Initialize, the per-isolate
//                          AddonState, teardown, copies of fringe in one
//                          isolate, statistics, named records
//   binding_stacks.cc      OsStack handles: createStack, stackInfo, ...
//   binding_generators.cc  the Coroutine class lib's Generator extends, and
//                          suspend/current/reap: the switch's callers
//   binding_errors.cc      errors in the contract's words, and the contract
//                          exported for lib's check
//
// This header is what they share: the per-isolate state, how a callback
// finds it, and how errors are thrown (binding_errors.cc, in the words of
// contract.h, which is generated from contract.json with lib/contract.ts).
//
// It is written against the V8 API rather than N-API: the switch needs V8
// handle scopes and TryCatch around JavaScript running on another stack, and
// N-API's per-call handle-scope accounting must not see a callback that
// returns on a different stack than it was called on.
//
// Argument checks with user-facing messages live in lib/ first; the checks
// here keep a misuse of the private binding from crashing the process, in
// the same words (contract.h).

#ifndef FRINGE_ADDON_BINDING_H
#define FRINGE_ADDON_BINDING_H

#include <node.h>
#include <uv.h>
#include <v8.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "contract.h"
#include "runtime.h"
#include "v8/v8_compat.h"

namespace fringe {
namespace binding {

// Internal fields of an OsStack object: its StackBox, the AddonState, and
// one more so that the count differs from a Generator's (kGeneratorFields).
constexpr int kStackFields = 3;

// Everything the addon keeps per isolate, shared by every load of the module
// in it (binding_module.cc).
struct AddonState {
  std::unique_ptr<Runtime> runtime;
  std::string unsupported_reason;
  // Another installed copy of fringe (another addon file) owns the switching
  // in this isolate: this copy has no Runtime, and its lib hands out the
  // owner's library when their interfaces agree (binding_module.cc, "Copies").
  bool guest = false;
  bool agrees = false;  // a guest whose interface is the owner's
  std::int32_t* status = nullptr;  // shared with lib as an Int32Array, indexed by StatusSlot
  v8::Global<v8::ObjectTemplate> stack_template;
  // The field names of the named records returned to lib (see Record),
  // interned once.
  std::vector<std::pair<const char*, v8::Global<v8::String>>> record_keys;
  v8::Global<v8::Function> generator_return;  // lib's GeneratorReturn class
  v8::Global<v8::Function> warn;              // lib's report of what unwinding threw
  v8::Global<v8::Function> reap;              // our own reap(), for the constructor's retry
  v8::Global<v8::Function> reaper;            // lib's, called from the event loop
  v8::Global<v8::Function> describe;          // lib's words for a received value, in error messages
  v8::Global<v8::Function> crossed;           // lib's extension of an error's stack as it leaves a body
  // The exports of the first copy of lib loaded in this isolate: see
  // shareLibrary().
  v8::Global<v8::Object> library;
  uv_async_t reap_signal;
  bool reap_signal_open = false;
};

inline v8::Local<v8::String> String(v8::Isolate* isolate, const char* s) {
  return v8::String::NewFromUtf8(isolate, s).ToLocalChecked();
}

// Every function the addon exports gets the isolate's AddonState as its data.
inline AddonState* StateOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<AddonState*>(info.Data().As<v8::External>()->Value());
}

// A slot of the status buffer shared with lib (contract.h, StatusSlot).
inline std::int32_t& Status(AddonState* state, StatusSlot slot) { return state->status[static_cast<int>(slot)]; }
/// status[StatusSlot::kSlowPath] is a set of reasons, one bit each: lib
/// takes its slower resume path while any is set.
constexpr std::int32_t SlowPathBit(SlowPathReason reason) { return std::int32_t{1} << static_cast<int>(reason); }

// Errors, in the words of contract.json (binding_errors.cc). A message is a
// template; `params` fill in its {name}s.
using ErrorParams = std::initializer_list<std::pair<const char*, std::string>>;

/// Throws the error `id` of the contract.
void ThrowContractError(v8::Isolate* isolate, ErrorId id, ErrorParams params = {});
/// TypeError ERR_INVALID_ARG_TYPE: "Expected <argument> to be <expected>, got
/// <received>", where `received` is described by lib's describe() (the one
/// lib's own checks use), once lib has handed it over (setHooks).
void ThrowArgType(AddonState* state, v8::Isolate* isolate, const char* argument, Expected expected,
                  v8::Local<v8::Value> received, ErrorParams params = {});
/// RangeError ERR_OUT_OF_RANGE, in the same words.
void ThrowArgRange(AddonState* state, v8::Isolate* isolate, const char* argument, Expected expected,
                   v8::Local<v8::Value> received, ErrorParams params = {});

/// A record { field: value, ... } for lib (stackInfo(), stats(), a
/// generator's stack usage), where `fields` names each value. The keys are
/// interned once per isolate and the object is made in one call, with a
/// null prototype. Off the resume path only: a record costs a few hundred
/// nanoseconds more than the positional array it replaced (docs/DESIGN.md).
v8::Local<v8::Object> Record(AddonState* state, v8::Isolate* isolate, std::initializer_list<const char*> fields,
                             v8::Local<v8::Value>* values);

/// Adds `contract` (contract.h's tables) to the exports, for lib's check.
void ExportContract(v8::Local<v8::Context> context, v8::Local<v8::Object> exports);

/// Throws ERR_UNSUPPORTED_RUNTIME with the reason this isolate has no Runtime.
void ThrowUnsupportedRuntime(AddonState* state, v8::Isolate* isolate);

/// Throws ERR_UNSUPPORTED_RUNTIME and returns false when this isolate has no
/// Runtime (an unsupported Node, or a guest copy). Inline: suspend() and
/// Yielder#suspend() ask on every switch.
inline bool RequireRuntime(AddonState* state, v8::Isolate* isolate) {
  if (__builtin_expect(state->runtime != nullptr, 1)) return true;
  ThrowUnsupportedRuntime(state, isolate);
  return false;
}

/// Adds a function `name` to `target`, with `data` (the AddonState) as its data.
v8::Local<v8::Function> SetMethod(v8::Local<v8::Context> context, v8::Local<v8::Object> target, const char* name,
                                  v8::FunctionCallback callback, v8::Local<v8::Value> data);

/// Checks a stack size given as `argument`, as lib's validateStackSize()
/// does (`type`: what a non-number should have been), throwing its errors;
/// true, with the size in `size`, when it is good.
bool CheckStackSize(AddonState* state, v8::Isolate* isolate, const char* argument, Expected type,
                    v8::Local<v8::Value> value, std::size_t* size);
/// ERR_STACK_ALLOCATION for a mapping of `size` bytes that failed for `reason`.
void ThrowStackAllocation(v8::Isolate* isolate, std::size_t size, const std::string& reason);

/// The StackBox of an OsStack handle made by this isolate's addon, or null.
StackBox* UnwrapStack(AddonState* state, v8::Local<v8::Value> value);

/// Add each file's functions to the exports (binding_module.cc calls them).
void InitializeStacks(v8::Local<v8::Context> context, v8::Local<v8::Object> exports, AddonState* state,
                      v8::Local<v8::External> data);
void InitializeGenerators(v8::Local<v8::Context> context, v8::Local<v8::Object> exports, AddonState* state,
                          v8::Local<v8::External> data);

}  // namespace binding
}  // namespace fringe

#endif  // FRINGE_ADDON_BINDING_H
