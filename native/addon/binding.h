// The addon's JavaScript interface (wrapped by lib/*.ts, typed in
// lib/binding.ts), in three files by what they expose:
//
//   binding_module.cc      the module's lifecycle: Initialize, the per-isolate
//                          AddonState, teardown, copies of fringe in one
//                          isolate, statistics
//   binding_stacks.cc      OsStack handles: createStack, stackInfo, ...
//   binding_generators.cc  the Coroutine class lib's Generator extends, and
//                          suspend/current/reap: the switch's callers
//
// This header is what they share: the per-isolate state, how a callback
// finds it, and how errors are thrown (the wording is in contract.h).
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
#include <memory>
#include <string>

#include "runtime.h"
#include "v8_compat.h"

namespace fringe {
namespace binding {

// Status shared with JavaScript through an Int32Array (see lib/binding.ts).
enum StatusSlot { kOutcome = 0, kCollectedPending = 1, kStatusSlots = 2 };

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
  std::int32_t* status = nullptr;  // shared with lib as an Int32Array: see StatusSlot
  v8::Global<v8::ObjectTemplate> stack_template;
  v8::Global<v8::Function> generator_return;  // lib's GeneratorReturn class
  v8::Global<v8::Function> warn;              // lib's report of what unwinding threw
  v8::Global<v8::Function> reap;              // our own reap(), for the constructor's retry
  v8::Global<v8::Function> reaper;            // lib's, called from the event loop
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

enum class ErrorKind { kError, kTypeError, kRangeError };

void Throw(v8::Isolate* isolate, ErrorKind kind, const char* code, const std::string& message);
void ThrowError(v8::Isolate* isolate, const char* code, const std::string& message);
void ThrowTypeError(v8::Isolate* isolate, const std::string& message);
void ThrowRangeError(v8::Isolate* isolate, const std::string& message);

/// Throws ERR_UNSUPPORTED_RUNTIME and returns false when this isolate has no
/// Runtime (an unsupported Node, or a guest copy).
bool RequireRuntime(AddonState* state, v8::Isolate* isolate);

/// Adds a function `name` to `target`, with `data` (the AddonState) as its data.
v8::Local<v8::Function> SetMethod(v8::Local<v8::Context> context, v8::Local<v8::Object> target, const char* name,
                                  v8::FunctionCallback callback, v8::Local<v8::Value> data);

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
