// The addon's JavaScript interface (wrapped by lib/*.ts, typed in
// lib/binding.ts). It is written against the V8 API rather than N-API: the
// switch needs V8 handle scopes and TryCatch around JavaScript running on
// another stack, and N-API's per-call handle-scope accounting must not see a
// callback that returns on a different stack than it was called on.
//
// lib's Generator class extends the Coroutine class made here, so each
// Generator object is itself the native handle: its internal fields hold its
// Coroutine and the isolate's AddonState. Methods
// are symbol-keyed and signature-checked: V8 verifies the receiver before
// the callback runs.
//
// Argument checks with user-facing messages live in lib/; the checks here
// only keep a misuse of the private binding from crashing the process.

#include <dlfcn.h>
#include <node.h>
#include <uv.h>
#include <v8.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "native_bench.h"
#include "runtime.h"
#include "test_hooks.h"
#include "v8/v8_compat.h"

namespace fringe {
namespace {

// Status shared with JavaScript through an Int32Array (see lib/binding.ts).
enum StatusSlot { kOutcome = 0, kCollectedPending = 1, kStatusSlots = 2 };

// Internal fields of an OsStack object: its StackBox, the AddonState, and
// one more so that the count differs from a Generator's (kGeneratorFields).
constexpr int kStackFields = 3;

struct AddonState {
  std::unique_ptr<Runtime> runtime;
  std::string unsupported_reason;
  // Another installed copy of fringe (another addon file) owns the switching
  // in this isolate: this copy has no Runtime, and its lib hands out the
  // owner's library when their interfaces agree (see "Copies" below).
  bool guest = false;
  bool agrees = false;  // a guest whose interface is the owner's
  std::int32_t* status = nullptr;
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

// One AddonState per isolate, shared by every load of the module in it
// (Node runs a context-aware addon's initializer again when a cleared
// require cache loads it anew).
std::mutex states_mutex;
std::map<v8::Isolate*, AddonState*> states;

v8::Local<v8::String> String(v8::Isolate* isolate, const char* s) {
  return v8::String::NewFromUtf8(isolate, s).ToLocalChecked();
}

enum class ErrorKind { kError, kTypeError, kRangeError };

void Throw(v8::Isolate* isolate, ErrorKind kind, const char* code, const std::string& message) {
  v8::Local<v8::String> text = String(isolate, message.c_str());
  v8::Local<v8::Value> error = kind == ErrorKind::kTypeError    ? v8::Exception::TypeError(text)
                               : kind == ErrorKind::kRangeError ? v8::Exception::RangeError(text)
                                                                : v8::Exception::Error(text);
  if (code != nullptr) {
    error.As<v8::Object>()->Set(isolate->GetCurrentContext(), String(isolate, "code"), String(isolate, code)).Check();
  }
  isolate->ThrowException(error);
}
void ThrowError(v8::Isolate* isolate, const char* code, const std::string& message) {
  Throw(isolate, ErrorKind::kError, code, message);
}
void ThrowTypeError(v8::Isolate* isolate, const std::string& message) {
  Throw(isolate, ErrorKind::kTypeError, "ERR_INVALID_ARG_TYPE", message);
}
void ThrowRangeError(v8::Isolate* isolate, const std::string& message) {
  Throw(isolate, ErrorKind::kRangeError, "ERR_OUT_OF_RANGE", message);
}

AddonState* StateOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<AddonState*>(info.Data().As<v8::External>()->Value());
}

bool RequireRuntime(AddonState* state, v8::Isolate* isolate) {
  if (state->runtime) return true;
  ThrowError(isolate, "ERR_UNSUPPORTED_RUNTIME",
             "JavaScript generators are not supported here: " + state->unsupported_reason);
  return false;
}

// Methods of the Coroutine class carry a v8::Signature, so V8 has checked
// that the receiver is a Generator before the callback runs.
struct Receiver {
  Coroutine* co;
  AddonState* state;
};
__attribute__((always_inline)) inline Receiver ReceiverOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Object> self = info.This();
  return Receiver{static_cast<Coroutine*>(GetInternalPointer(self, kCoroutineField)),
                  static_cast<AddonState*>(GetInternalPointer(self, kStateField))};
}

StackBox* UnwrapStack(AddonState* state, v8::Local<v8::Value> value) {
  if (!value->IsObject()) return nullptr;
  v8::Local<v8::Object> object = value.As<v8::Object>();
  if (object->InternalFieldCount() != kStackFields || GetInternalPointer(object, 1) != state) return nullptr;
  return static_cast<StackBox*>(GetInternalPointer(object, 0));
}

// --- Stacks -----------------------------------------------------------------

void OnStackCollected(const v8::WeakCallbackInfo<StackBox>& data) {
  StackBox* box = data.GetParameter();
  box->handle.Reset();
  if (Coroutine* user = box->user) {
    // The generator keeps the memory; it is unmapped when the generator ends.
    if (user->fiber != nullptr) user->fiber->box = nullptr;
  }
  delete box;
}

v8::Local<v8::Object> WrapStack(AddonState* state, v8::Isolate* isolate, BudgetedStack stack) {
  v8::Local<v8::Object> object =
      state->stack_template.Get(isolate)->NewInstance(isolate->GetCurrentContext()).ToLocalChecked();
  auto* box = new StackBox();
  box->size = stack.size();
  box->base = stack.base();
  box->limit = stack.limit();
  box->stack = std::move(stack);
  SetInternalPointer(object, 0, box);
  SetInternalPointer(object, 1, state);
  box->handle.Reset(isolate, object);
  box->handle.SetWeak(box, &OnStackCollected, v8::WeakCallbackType::kParameter);
  return object;
}

// createStack(size: number): handle. Sizes are validated in lib/stack.ts.
void CreateStack(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsNumber()) return ThrowTypeError(isolate, "Expected size to be a number");
  double size = info[0].As<v8::Number>()->Value();
  if (!(size >= 0 && size <= 9007199254740991.0)) return ThrowRangeError(isolate, "Invalid stack size");
  std::error_code error;
  std::string reason;
  BudgetedStack stack = BudgetedStack::Allocate(static_cast<std::size_t>(size), error, &reason);
  if (error) {
    return ThrowError(isolate, "ERR_STACK_ALLOCATION",
                      "Cannot map a stack of " + std::to_string(static_cast<std::size_t>(size)) + " bytes: " + reason);
  }
  info.GetReturnValue().Set(WrapStack(state, isolate, std::move(stack)));
}

// stackInfo(handle): [size, base, limit, inUse, released]
void StackInfo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  StackBox* box = UnwrapStack(state, info[0]);
  if (box == nullptr) return ThrowTypeError(isolate, "Expected an OsStack");
  v8::Local<v8::Value> values[] = {
      v8::Number::New(isolate, static_cast<double>(box->size)),
      v8::BigInt::NewFromUnsigned(isolate, reinterpret_cast<std::uintptr_t>(box->base)),
      v8::BigInt::NewFromUnsigned(isolate, reinterpret_cast<std::uintptr_t>(box->limit)),
      v8::Boolean::New(isolate, box->user != nullptr),
      v8::Boolean::New(isolate, box->user == nullptr && !box->stack),
  };
  info.GetReturnValue().Set(v8::Array::New(isolate, values, 5));
}

// releaseStack(handle): true if unmapped (or already), false while in use.
void ReleaseStack(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  StackBox* box = UnwrapStack(state, info[0]);
  if (box == nullptr) return ThrowTypeError(info.GetIsolate(), "Expected an OsStack");
  if (box->user != nullptr) return info.GetReturnValue().Set(false);
  box->stack.release();
  info.GetReturnValue().Set(true);
}

// takeStack(size): a new OsStack of `size` bytes, for unwrap() of a finished
// generator that ran on a pooled stack.
void TakeStack(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsNumber()) return ThrowTypeError(isolate, "Expected size to be a number");
  std::error_code error;
  std::string reason;
  auto size = static_cast<std::size_t>(info[0].As<v8::Number>()->Value());
  BudgetedStack stack = BudgetedStack::Allocate(size, error, &reason);
  if (error) return ThrowError(isolate, "ERR_STACK_ALLOCATION", "Cannot map a stack of " + std::to_string(size) + " bytes: " + reason);
  info.GetReturnValue().Set(WrapStack(state, isolate, std::move(stack)));
}

// --- Generators -----------------------------------------------------------

// First-pass weak callback on a Generator: only bookkeeping. The generator is
// unwound (or freed) later at a safe point, from JavaScript (lib checks
// status[kCollectedPending] when it creates or resumes a generator) or from
// the event loop (reap_signal).
void OnGeneratorCollected(const v8::WeakCallbackInfo<Coroutine>& data) {
  Coroutine* co = data.GetParameter();
  co->owner.Reset();
  co->runtime->NoteCollected(co);
  auto* state = static_cast<AddonState*>(co->runtime->owner());
  state->status[kCollectedPending] = 1;
  if (state->reap_signal_open) uv_async_send(&state->reap_signal);
}

// new Coroutine(stack handle | undefined, size, id): called by `super()` in
// lib's Generator constructor.
void CoroutineNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  AddonState* state = StateOf(info);
  if (!info.IsConstructCall()) return ThrowTypeError(isolate, "Class constructor Coroutine cannot be invoked without 'new'");
  if (!RequireRuntime(state, isolate)) return;
  if (!info[2]->IsNumber()) return ThrowTypeError(isolate, "Expected id to be a number");
  StackBox* box = nullptr;
  double size = 0;
  if (!info[0]->IsUndefined()) {
    box = UnwrapStack(state, info[0]);
    // lib/stack.ts (validateFreeStack) checks these first, naming the
    // caller's argument; these are the backstop, in the same words.
    if (box == nullptr) return ThrowTypeError(isolate, "Expected stack to be an OsStack or a number of bytes");
    if (box->user != nullptr) {
      return ThrowError(isolate, "ERR_STACK_IN_USE",
                        "Expected stack to be an OsStack not in use, got one that an unfinished generator runs on");
    }
    if (!box->stack) {
      return ThrowError(isolate, "ERR_STACK_RELEASED", "Expected stack to be an OsStack that has not been released, got a released one");
    }
    if (box->size < Runtime::kMinimumStackSize) return ThrowRangeError(isolate, "The stack is too small to run JavaScript");
  } else {
    if (!info[1]->IsNumber()) return ThrowTypeError(isolate, "Expected size to be a number");
    size = info[1].As<v8::Number>()->Value();
    if (!(size >= Runtime::kMinimumStackSize && size <= 9007199254740991.0)) {
      return ThrowRangeError(isolate, "Invalid stack size");
    }
  }
  Runtime* runtime = state->runtime.get();
  double id = info[2].As<v8::Number>()->Value();
  std::error_code error;
  std::string reason;
  Coroutine* co = runtime->NewCoroutine(box, static_cast<std::size_t>(size), id, error, &reason);
  if (co == nullptr && error.value() == ENOMEM) {
    // Out of mappings or address space, often because unreachable suspended
    // generators still hold their stacks: collect garbage, unwind what was
    // collected, and try once more.
    isolate->LowMemoryNotification();
    // reap() reports what unwinding throws and returns normally; it fails
    // only when execution is being terminated, and then so do we.
    if (state->reap.Get(isolate)->Call(isolate->GetCurrentContext(), v8::Undefined(isolate), 0, nullptr).IsEmpty()) return;
    co = runtime->NewCoroutine(box, static_cast<std::size_t>(size), id, error, &reason);
  }
  if (co == nullptr) {
    return ThrowError(isolate, "ERR_STACK_ALLOCATION",
                      "Cannot map a stack of " + std::to_string(static_cast<std::size_t>(size)) + " bytes: " + reason);
  }
  v8::Local<v8::Object> self = info.This();
  SetInternalPointer(self, kCoroutineField, co);
  SetInternalPointer(self, kStateField, state);
  co->owner.Reset(isolate, self);
  co->owner.SetWeak(co, &OnGeneratorCollected, v8::WeakCallbackType::kParameter);
}

// A finished generator needs nothing native any more: its Generator object
// forgets it (kResume then reports ERR_GENERATOR_DONE) and it is freed now,
// rather than by a weak callback and the reaper after the object dies.
void Forget(AddonState* state, Coroutine* co, v8::Local<v8::Object> self) {
  SetInternalPointer(self, kCoroutineField, nullptr);
  state->runtime->Delete(co);  // resets its weak handle
}

// After Runtime::Resume: report the outcome to JavaScript. The body's return
// value or exception is already in the call's return-value slot.
__attribute__((always_inline)) inline void Deliver(AddonState* state, Coroutine* co,
                                                  const v8::FunctionCallbackInfo<v8::Value>& info) {
  state->status[kOutcome] = static_cast<std::int32_t>(co->outcome);
  switch (co->outcome) {
    case Outcome::kYielded:
      info.GetReturnValue().Set(co->out);
      return;
    case Outcome::kReturned:
      return;
    case Outcome::kThrew:
      info.GetIsolate()->ThrowException(info.GetReturnValue().Get());
      return;
    case Outcome::kTerminated:
      // The body was terminated (worker.terminate(), process exit): the
      // termination was consumed by the body's outermost call, so request
      // it again for the resumer.
      info.GetIsolate()->TerminateExecution();
      return;
  }
}

// lib passes async_hooks.executionAsyncId() along with resume and suspend:
// read in JavaScript it is a load from a typed array, where asking Node from
// here (AsyncHooksGetExecutionAsyncId) costs a handle scope and a context
// lookup. Anyone else calling the private binding gets Node's answer.
__attribute__((always_inline)) inline double ExecutionAsyncId(v8::Isolate* isolate, v8::Local<v8::Value> passed) {
  if (passed->IsNumber()) return passed.As<v8::Number>()->Value();
  return static_cast<double>(node::AsyncHooksGetExecutionAsyncId(isolate));
}

// A body that suspends inside an async scope it entered itself (say
// new AsyncResource(...).runInAsyncScope(() => suspend())) would leave that
// scope on Node's async-id stack for its resumer, and Node exits with "async
// hook stack has become corrupted" when the resumer's callback ends. Such a
// suspend is refused: the execution async id must be the one the resume saw.
__attribute__((noinline, cold)) void ThrowSuspendInAsyncScope(v8::Isolate* isolate, double now, double resumed) {
  ThrowError(isolate, "ERR_SUSPEND_IN_ASYNC_SCOPE",
             "Cannot suspend inside an async scope the generator entered itself (execution async id " +
                 std::to_string(static_cast<long long>(now)) + ", resumed in " +
                 std::to_string(static_cast<long long>(resumed)) +
                 "): leave it first, e.g. return from runInAsyncScope()'s callback before suspending");
}
__attribute__((always_inline)) inline bool RefuseSuspendInAsyncScope(v8::Isolate* isolate, Coroutine* co,
                                                                     v8::Local<v8::Value> async_id) {
  double now = ExecutionAsyncId(isolate, async_id);
  if (__builtin_expect(now == co->resume_async_id, 1)) return false;
  ThrowSuspendInAsyncScope(isolate, now, co->resume_async_id);
  return true;
}

// State of V8's and Node's that assumes calls nest on a thread, and that a
// suspend() would leave behind for unrelated code (docs/DESIGN.md, "Nesting
// invariants"): a suspend from inside such a section is refused. A generator
// resumed inside the section may still suspend: that returns into it.
__attribute__((noinline, cold)) bool ThrowLeaving(v8::Isolate* isolate, Runtime* runtime, Coroutine* co, bool in_join) {
  ExecutionContext* here = runtime->current_context();
  if (runtime->in_debug_scope()) {
    ThrowError(isolate, "ERR_SUSPEND_IN_DEBUGGER",
               "Cannot suspend inside a debugger event (a Debugger.paused or scriptParsed handler, an evaluation on a "
               "paused frame): V8 and the inspector would stay paused, and ignore breakpoints and debugger "
               "statements everywhere, until the generator is resumed");
  } else if (runtime->InOwnMicrotaskCheckpoint(co)) {
    ThrowError(isolate, "ERR_SUSPEND_IN_MICROTASK",
               "Cannot suspend inside a microtask checkpoint the generator began (a promise reaction run by a vm "
               "context with microtaskMode 'afterEvaluate', say): the queue would count as running, and hold back "
               "every other microtask of it, until the generator is resumed");
  } else if (in_join) {
    ThrowError(isolate, "ERR_SUSPEND_IN_JOIN",
               "Cannot suspend inside Array.prototype.join/toString/toLocaleString (a toString() or toLocaleString() "
               "it called): V8's cycle detection would see the array as being joined everywhere until the generator "
               "is resumed");
  } else if (here->exiting) {
    ThrowError(isolate, "ERR_SUSPEND_IN_EXIT",
               "Cannot suspend a generator that is exiting the process (process.exit() or an 'exit' listener is "
               "running on its stack): the exit would be cancelled");
  } else {
    ThrowError(isolate, "ERR_SUSPEND_IN_VM_TIMEOUT",
               "Cannot suspend inside a vm call with a timeout or breakOnSigint: its watchdog would go on running "
               "and interrupt unrelated code");
  }
  return true;
}
__attribute__((always_inline)) inline bool RefuseLeaving(v8::Isolate* isolate, Runtime* runtime, Coroutine* co) {
  ExecutionContext* here = runtime->current_context();
  const bool in_join = runtime->join_depth() > co->join_base;
  const bool in_debugger = runtime->in_debug_scope();
  if (__builtin_expect((here->watchdog_calls | static_cast<std::uint32_t>(here->exiting) | in_join | in_debugger) == 0, 1) &&
      __builtin_expect(!runtime->InOwnMicrotaskCheckpoint(co), 1)) {
    return false;
  }
  return ThrowLeaving(isolate, runtime, co, in_join);
}

// generator[kResume](mode, value, asyncId): the value the body suspended with or
// returned; status[kOutcome] tells which. The first call starts the body on
// the generator's fiber (lib's fiberMain takes the body from the module
// variables the caller set; it never sees the Generator).
void Resume(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto [co, state] = ReceiverOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  // A finished generator has forgotten its Coroutine (Forget()).
  if (co == nullptr) return ThrowError(isolate, "ERR_GENERATOR_DONE", "The generator has finished");
  if (co->state == CoroutineState::kRunning) {
    return ThrowError(isolate, "ERR_GENERATOR_RUNNING", "The generator is already running");
  }
  v8::Local<v8::Value> mode = info[0];
  if (!mode->IsInt32()) return ThrowTypeError(isolate, "Expected mode to be an integer");
  int m = mode.As<v8::Int32>()->Value();
  if (m < 0 || m > 2) return ThrowRangeError(isolate, "Invalid resume mode");
  co->resume_async_id = ExecutionAsyncId(isolate, info[2]);
  state->runtime->Resume(co, static_cast<ResumeMode>(m), info[1], info);
  Deliver(state, co, info);
  if (co->state == CoroutineState::kDone) Forget(state, co, info.This());
}

// Suspends the running generator with `value` and returns to JavaScript what
// the next resume asked for: its input, or an exception (throw()/return()).
__attribute__((always_inline)) inline void SuspendRunning(AddonState* state, Coroutine* co,
                                                         const v8::FunctionCallbackInfo<v8::Value>& info,
                                                         v8::Local<v8::Value> value) {
  state->runtime->Suspend(value);
  switch (co->mode) {
    case ResumeMode::kNext:
      info.GetReturnValue().Set(co->in);
      return;
    case ResumeMode::kThrow:
      info.GetIsolate()->ThrowException(co->in);
      return;
    case ResumeMode::kReturn: {
      v8::Isolate* isolate = info.GetIsolate();
      v8::Local<v8::Value> argv[] = {co->in};
      v8::Local<v8::Object> marker;
      if (state->generator_return.Get(isolate)->NewInstance(isolate->GetCurrentContext(), 1, argv).ToLocal(&marker)) {
        isolate->ThrowException(marker);
      }
      return;
    }
  }
}

// suspend(value, asyncId[, keepContext]): suspends the innermost running
// generator; asyncId is the caller's execution async id (see
// RefuseSuspendInAsyncScope). With keepContext (wait() passes true) the
// generator gets back, when resumed, the continuation-preserved data it had
// when it suspended: on Node 24+ that is the AsyncContextFrame holding the
// AsyncLocalStorage stores, so a store fn entered (enterWith(), als.run()
// around a wait()) is still there after the wait. (Node 20 and 22 keep the
// stores on the async resource run() resumes in, and leave this data unused.)
void Suspend(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!RequireRuntime(state, isolate)) return;
  Coroutine* co = state->runtime->current_coroutine();
  if (co == nullptr) return ThrowError(isolate, "ERR_NOT_IN_GENERATOR", "suspend() called outside of a generator");
  if (RefuseSuspendInAsyncScope(isolate, co, info[1])) return;
  if (RefuseLeaving(isolate, state->runtime.get(), co)) return;
  if (!info[2]->IsTrue()) return SuspendRunning(state, co, info, info[0]);
  // A Local of the suspending side: its handle block waits, archived, with it.
  v8::Local<v8::Data> context = GetContinuationData(isolate);
  SuspendRunning(state, co, info, info[0]);
  SetContinuationData(isolate, context);
}

// suspendFrom(id, value, asyncId): Yielder#suspend, which must belong to the innermost
// running generator.
void SuspendFrom(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!RequireRuntime(state, isolate)) return;
  Coroutine* co = state->runtime->current_coroutine();
  if (co == nullptr) return ThrowError(isolate, "ERR_NOT_IN_GENERATOR", "suspend() called outside of a generator");
  // By id, also for a generator being unwound after its collection: its
  // cleanup code using another generator's yielder is as wrong as anywhere.
  if (!info[0]->IsNumber() || info[0].As<v8::Number>()->Value() != co->id) {
    return ThrowError(isolate, "ERR_WRONG_GENERATOR",
                      "This yielder belongs to a generator that is not the innermost running one");
  }
  if (RefuseSuspendInAsyncScope(isolate, co, info[2])) return;
  if (RefuseLeaving(isolate, state->runtime.get(), co)) return;
  SuspendRunning(state, co, info, info[1]);
}

// deliver(threw, result): from lib's fiberMain when a body has ended.
void DeliverResult(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (!state->runtime || state->runtime->current_coroutine() == nullptr) {
    return ThrowError(info.GetIsolate(), "ERR_NOT_IN_GENERATOR", "deliver() called outside of a fiber");
  }
  state->runtime->Deliver(info[0]->IsTrue(), info[1]);
}

// park(): from lib's fiberMain after deliver(): true when the next body is
// to start on this fiber (its resume() has left it for fiberMain to take),
// false when fiberMain should return.
void ParkFiber(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (!state->runtime || state->runtime->current_coroutine() == nullptr) {
    return ThrowError(info.GetIsolate(), "ERR_NOT_IN_GENERATOR", "park() called outside of a fiber");
  }
  info.GetReturnValue().Set(state->runtime->Park() != nullptr);
}

// generator[kDiscard](): finishes a generator that never ran (return() or
// throw() before the first resume), releasing its body and stack.
void Discard(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto [co, state] = ReceiverOf(info);
  if (co == nullptr || co->state != CoroutineState::kFresh) return;
  state->runtime->Discard(co);
  Forget(state, co, info.This());
}

// generator[kStackUsage](): [bytes of the generator's stack ever touched,
// counted from its base, and the bytes below V8's JS limit among them].
// Untouched pages of a fresh mapping read as zeros, so the deepest non-zero
// word marks the high-water mark. For tests and diagnostics.
void StackUsage(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto [co, state] = ReceiverOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (co == nullptr || co->fiber == nullptr) return ThrowTypeError(isolate, "Expected a generator that has not finished");
  Fiber* fiber = co->fiber;
  auto* limit = static_cast<const std::uintptr_t*>(fiber->stack.limit());
  auto* base = static_cast<const std::uintptr_t*>(fiber->stack.base());
  const std::uintptr_t* p = limit;
  while (p < base && *p == 0) p++;
  auto deepest = reinterpret_cast<std::uintptr_t>(p);
  double used = static_cast<double>(reinterpret_cast<std::uintptr_t>(base) - deepest);
  double below = deepest < fiber->js_limit ? static_cast<double>(fiber->js_limit - deepest) : 0;
  v8::Local<v8::Value> values[] = {v8::Number::New(isolate, used), v8::Number::New(isolate, below)};
  info.GetReturnValue().Set(v8::Array::New(isolate, values, 2));
}

// current(): the innermost running Generator, if any (undefined inside a
// collected generator that is being unwound).
void Current(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (!state->runtime) return;
  Coroutine* co = state->runtime->current_coroutine();
  if (co != nullptr && !co->owner.IsEmpty()) info.GetReturnValue().Set(co->owner.Get(info.GetIsolate()));
}

// reap(): unwinds or frees every collected generator. An error a collected
// generator throws while being unwound goes to lib's warn().
void Reap(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  state->status[kCollectedPending] = 0;
  if (!state->runtime) return;
  Runtime* runtime = state->runtime.get();
  while (Coroutine* co = runtime->TakeCollected()) {
    co->resume_async_id = static_cast<double>(node::AsyncHooksGetExecutionAsyncId(isolate));
    // A suspended generator is unwound like return(): its pending suspend()
    // throws GeneratorReturn until the body finishes. A body that keeps
    // suspending gets a bounded number of chances, then is abandoned.
    constexpr int kUnwindAttempts = 1000;
    for (int i = 0; i < kUnwindAttempts && co->state == CoroutineState::kSuspended; i++) {
      v8::HandleScope scope(isolate);
      runtime->Resume(co, ResumeMode::kReturn, v8::Undefined(isolate), info);
      if (co->outcome == Outcome::kThrew) {
        // lib's warn() tells the GeneratorReturn itself escaping (the normal
        // end of unwinding) from an error, by a brand check: InstanceOf here
        // would run the traps of a Proxy the body threw, and whatever they
        // throw would surface from the unrelated call that reaped.
        v8::Local<v8::Value> error = info.GetReturnValue().Get();
        // warn() does not throw; a call that fails (termination) is seen below.
        state->warn.Get(isolate)->Call(isolate->GetCurrentContext(), v8::Undefined(isolate), 1, &error).IsEmpty();
      }
      if (co->outcome == Outcome::kTerminated) {
        isolate->TerminateExecution();
        return;
      }
    }
    if (co->state == CoroutineState::kDone || co->state == CoroutineState::kFresh) runtime->Delete(co);
    // Otherwise it kept suspending: it stays allocated, never resumed again.
  }
  info.GetReturnValue().SetUndefined();
}

// setHooks(GeneratorReturn, warn, reaper, fiberMain): lib's parts. The
// first copy of lib loaded in the isolate keeps them: its fiberMain is
// already on fibers' stacks (a later copy hands out the first one's
// exports, see shareLibrary()).
void SetHooks(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  for (int i = 0; i < 4; i++) {
    if (!info[i]->IsFunction()) return ThrowTypeError(info.GetIsolate(), "Expected functions");
  }
  if (!state->generator_return.IsEmpty()) return;
  state->generator_return.Reset(info.GetIsolate(), info[0].As<v8::Function>());
  state->warn.Reset(info.GetIsolate(), info[1].As<v8::Function>());
  state->reaper.Reset(info.GetIsolate(), info[2].As<v8::Function>());
  if (state->runtime) state->runtime->set_fiber_main(info.GetIsolate(), info[3].As<v8::Function>());
}

// --- Copies -------------------------------------------------------------------
//
// npm installs two copies of fringe when an app and one of its dependencies
// need different versions: two addon files, each loaded by the dynamic
// linker as a library of its own, with its own statics. Two Runtimes in one
// isolate break each other as soon as they nest (each archives and restores
// V8's thread state and checks cppgc's stack start by its own bookkeeping,
// and each keeps its own async-id checks), so the first copy loaded in an
// isolate owns the switching, and a later copy uses it: its lib hands out
// the owner's library (index.ts), so every generator of the isolate belongs
// to one Runtime, whichever copy the code that made it required.
//
// The copies meet through a private property (v8::Private::ForApi: the same
// key for every copy in the isolate, invisible to JavaScript) on the global
// object of the environment's main context, where Node initializes every
// addon. It holds a plain object:
//   interface  kLibraryInterface of the owner
//   addon      the owner's addon file
//   package    the owner's package directory (lib's claimPackage())
//   exports    the owner's library (shareLibrary())
// A copy whose kLibraryInterface differs from the owner's cannot use its
// library: it loads with supported === false and a reason naming both.

// What a later copy relies on when it hands out the owner's library: the
// registry's fields above, and the public API of lib/index.ts with its
// semantics. Raise it when either changes incompatibly.
constexpr int kLibraryInterface = 1;

std::string AddonPath() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&AddonPath), &info) != 0 && info.dli_fname != nullptr) return info.dli_fname;
  return "(unknown)";
}

// The interface this copy claims. FRINGE_TEST_LIBRARY_INTERFACE=<addon
// file>=<n> makes the copy loaded from that file claim n (the tests' way to
// install two copies that disagree without building two versions).
int LibraryInterface() {
  const char* test = std::getenv("FRINGE_TEST_LIBRARY_INTERFACE");
  if (test == nullptr) return kLibraryInterface;
  std::string spec(test);
  std::size_t eq = spec.rfind('=');
  if (eq == std::string::npos || spec.substr(0, eq) != AddonPath()) return kLibraryInterface;
  return std::atoi(spec.c_str() + eq + 1);
}

v8::Local<v8::Private> RegistryKey(v8::Isolate* isolate) {
  return v8::Private::ForApi(isolate, String(isolate, "fringe.copies.v1"));
}

v8::Local<v8::Object> Registry(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = IsolateOf(context);
  v8::Local<v8::Value> value;
  if (context->Global()->GetPrivate(context, RegistryKey(isolate)).ToLocal(&value) && value->IsObject()) {
    return value.As<v8::Object>();
  }
  return v8::Local<v8::Object>();
}

v8::Local<v8::Value> Field(v8::Local<v8::Context> context, v8::Local<v8::Object> object, const char* name) {
  v8::Local<v8::Value> value;
  if (!object->Get(context, String(IsolateOf(context), name)).ToLocal(&value)) return v8::Undefined(IsolateOf(context));
  return value;
}

std::string Text(v8::Isolate* isolate, v8::Local<v8::Value> value, const char* otherwise) {
  if (!value->IsString()) return otherwise;
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 != nullptr ? std::string(*utf8) : otherwise;
}

void MakeRegistry(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = IsolateOf(context);
  v8::Local<v8::Object> registry = v8::Object::New(isolate);
  registry->Set(context, String(isolate, "interface"), v8::Integer::New(isolate, LibraryInterface())).Check();
  registry->Set(context, String(isolate, "addon"), String(isolate, AddonPath().c_str())).Check();
  context->Global()->SetPrivate(context, RegistryKey(isolate), registry).Check();
}

// claimPackage(dir): lib/binding.ts names this copy's package directory. The
// owner records it; a guest that disagrees gets a reason naming both
// packages (and supported stays false).
void ClaimPackage(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString()) return ThrowTypeError(isolate, "Expected dir to be a string");
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> registry = Registry(context);
  if (registry.IsEmpty()) return;
  if (!state->guest) {
    if (Field(context, registry, "package")->IsUndefined()) registry->Set(context, String(isolate, "package"), info[0]).Check();
    return;
  }
  if (state->agrees) return;
  std::string reason = "another copy of fringe owns generators in this thread: " +
                       Text(isolate, Field(context, registry, "package"), "(a package still loading)") +
                       " (library interface " + std::to_string(Field(context, registry, "interface")->Int32Value(context).FromMaybe(0)) +
                       ") was loaded first, and this copy, " + Text(isolate, info[0], "?") + " (library interface " +
                       std::to_string(LibraryInterface()) +
                       "), cannot use it; install one version of fringe (npm dedupe, or overrides in package.json)";
  state->unsupported_reason = reason;
  info.GetReturnValue().Set(String(isolate, reason.c_str()));
}

// shareLibrary(exports): the library every copy of lib in this isolate
// hands out: the first copy's exports (`exports` itself the first time).
// That is also what a copy loaded again from a cleared require cache gets,
// and a later installed copy whose library interface agrees.
void ShareLibrary(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsObject()) return ThrowTypeError(isolate, "Expected exports to be an object");
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (state->guest) {
    v8::Local<v8::Object> registry = Registry(context);
    v8::Local<v8::Value> shared = registry.IsEmpty() ? v8::Local<v8::Value>() : Field(context, registry, "exports");
    info.GetReturnValue().Set(state->agrees && !shared.IsEmpty() && shared->IsObject() ? shared : info[0]);
    return;
  }
  if (state->library.IsEmpty()) {
    state->library.Reset(isolate, info[0].As<v8::Object>());
    v8::Local<v8::Object> registry = Registry(context);
    if (!registry.IsEmpty()) registry->Set(context, String(isolate, "exports"), info[0]).Check();
  }
  info.GetReturnValue().Set(state->library.Get(isolate));
}

// enterWatchdog() / leaveWatchdog(): lib's wrapper around vm calls that
// run under a watchdog (a timeout or breakOnSigint), on the stack that makes
// the call. Node's watchdog terminates whatever runs when it fires, and
// breakOnSigint takes the process's SIGINT listeners away until the call
// returns: neither may outlive a suspend.
void EnterWatchdog(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (state->runtime) state->runtime->current_context()->watchdog_calls++;
}
void LeaveWatchdog(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (!state->runtime) return;
  ExecutionContext* here = state->runtime->current_context();
  if (here->watchdog_calls > 0) here->watchdog_calls--;
}

// exiting(): from lib's first 'exit' listener. The context running it is the
// one process.exit() was called on (or the OS thread's, at a natural exit):
// Node calls reallyExit() when the listeners return, unless that context is
// left, and then the exit would never happen.
void Exiting(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (state->runtime) state->runtime->current_context()->exiting = true;
}

void SetPoolSize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (!state->runtime) return;
  if (!info[0]->IsUint32()) return ThrowTypeError(info.GetIsolate(), "Expected a non-negative integer");
  state->runtime->set_pool_limit(info[0].As<v8::Uint32>()->Value());
}

// stats(): [live generators, pooled stacks, pool limit, settled archived
// states, scavenges that skipped settled states, states they skipped]
void Stats(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  Runtime* runtime = state->runtime.get();
  auto number = [&](double value) { return v8::Number::New(isolate, runtime ? value : 0); };
  v8::Local<v8::Value> values[] = {
      number(runtime ? static_cast<double>(runtime->live_coroutines()) : 0),
      number(runtime ? static_cast<double>(runtime->pooled()) : 0),
      number(runtime ? static_cast<double>(runtime->pool_limit()) : 0),
      number(runtime ? static_cast<double>(runtime->scavenge_filter().settled()) : 0),
      number(runtime ? static_cast<double>(runtime->scavenge_filter().filtered_scavenges()) : 0),
      number(runtime ? static_cast<double>(runtime->scavenge_filter().skipped_states()) : 0),
  };
  info.GetReturnValue().Set(v8::Array::New(isolate, values, 6));
}

// --- Module -----------------------------------------------------------------

void OnReapSignal(uv_async_t* handle) {
  auto* state = static_cast<AddonState*>(handle->data);
  if (!state->runtime || state->reaper.IsEmpty()) return;
  v8::Isolate* isolate = state->runtime->isolate();
  v8::HandleScope scope(isolate);
  v8::Local<v8::Function> reaper = state->reaper.Get(isolate);
  v8::Local<v8::Context> context = reaper->GetCreationContextChecked();
  v8::Context::Scope context_scope(context);
  node::MakeCallback(isolate, v8::Object::New(isolate), reaper, 0, nullptr, node::async_context{0, 0});
}

void Cleanup(void* data) {
  auto* state = static_cast<AddonState*>(data);
  std::lock_guard<std::mutex> lock(states_mutex);
  if (state->runtime) {
    states.erase(state->runtime->isolate());
    state->runtime->Teardown();
  } else {
    for (auto it = states.begin(); it != states.end(); ++it) {
      if (it->second == state) {
        states.erase(it);
        break;
      }
    }
  }
  // V8 handles go now, while the isolate lives; the uv handle closes later.
  state->runtime.reset();
  state->library.Reset();
  state->stack_template.Reset();
  state->generator_return.Reset();
  state->warn.Reset();
  state->reap.Reset();
  state->reaper.Reset();
  if (state->reap_signal_open) {
    uv_close(reinterpret_cast<uv_handle_t*>(&state->reap_signal),
             [](uv_handle_t* handle) { delete static_cast<AddonState*>(handle->data); });
  } else {
    delete state;
  }
}

// Archived V8 threads and the wasm code GC do not mix: it aborts with
// "archived threads in combination with wasm not supported" when any
// archived thread exists (wasm-engine.cc). Without it, wasm code that is no
// longer used is freed only with its module. Called by the first load in an
// isolate, before its Runtime exists, and outside states_mutex (the tasks
// below may run JavaScript).
void StopWasmCodeGc(v8::Isolate* isolate) {
  v8::V8::SetFlagsFromString("--no-wasm-code-gc");
  // The flag only stops new code GCs. One triggered before this load has
  // posted a task to this isolate's foreground queue, and that task calls
  // WasmEngine::ReportLiveCodeFromStackForGC, which aborts as above if it
  // runs while a generator is suspended -- even when the isolate has already
  // reported through the stack-guard interrupt (V8 no longer cancels the
  // task then). Running the queued foreground tasks now, while no archived
  // thread exists, makes such a task harmless (a late report is ignored).
  // The cost: V8 tasks already queued (GC steps, FinalizationRegistry
  // cleanups) run inside this require() rather than at the next loop turn.
  // The interrupt half is handled by the first stack check after the load,
  // before any generator can run.
  if (node::Environment* env = node::GetCurrentEnvironment(isolate->GetCurrentContext())) {
    if (node::MultiIsolatePlatform* platform = node::GetMultiIsolatePlatform(env)) platform->FlushForegroundTasks(isolate);
  }
}

// The isolate's AddonState; `created` tells whether this load made it. A
// guest (another copy owns the isolate) gets no Runtime.
AddonState* StateFor(v8::Isolate* isolate, bool* created, bool guest, bool agrees) {
  std::lock_guard<std::mutex> lock(states_mutex);
  auto it = states.find(isolate);
  *created = it == states.end();
  if (!*created) return it->second;
  auto* state = new AddonState();
  std::string error;
  if (guest) {
    state->guest = true;
    state->agrees = agrees;
    state->unsupported_reason = "another copy of fringe owns generators in this thread";
    state->status = new std::int32_t[kStatusSlots]();
    states[isolate] = state;
    return state;
  }
  state->runtime = Runtime::Create(isolate, &error);
  if (state->runtime) {
    state->runtime->set_owner(state);
  } else {
    state->unsupported_reason = error;
  }
  state->status = new std::int32_t[kStatusSlots]();
  uv_loop_t* loop = node::GetCurrentEventLoop(isolate);
  if (state->runtime && loop != nullptr && uv_async_init(loop, &state->reap_signal, &OnReapSignal) == 0) {
    state->reap_signal.data = state;
    uv_unref(reinterpret_cast<uv_handle_t*>(&state->reap_signal));
    state->reap_signal_open = true;
  }
  states[isolate] = state;
  return state;
}

v8::Local<v8::Function> SetMethod(v8::Local<v8::Context> context, v8::Local<v8::Object> target, const char* name,
                                  v8::FunctionCallback callback, v8::Local<v8::Value> data) {
  v8::Isolate* isolate = IsolateOf(context);
  v8::Local<v8::FunctionTemplate> t =
      v8::FunctionTemplate::New(isolate, callback, data, v8::Local<v8::Signature>(), 0, v8::ConstructorBehavior::kThrow,
                                v8::SideEffectType::kHasSideEffect);
  v8::Local<v8::Function> fn = t->GetFunction(context).ToLocalChecked();
  fn->SetName(String(isolate, name));
  target->Set(context, String(isolate, name), fn).Check();
  return fn;
}

// Node unloads an addon (dlclose) when the worker thread that loaded it
// ends, but V8 still calls into it after that, while the worker's isolate is
// torn down: the status buffer's deleter, weak and GC callbacks. Keep the
// library mapped for the life of the process.
void PinLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&PinLibrary), &info) != 0 && info.dli_fname != nullptr) {
      // A second reference that is never released; RTLD_NODELETE makes even
      // the loader's own dlclose leave the mapping in place.
      (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
  });
}

}  // namespace

void Initialize(v8::Local<v8::Object> exports, v8::Local<v8::Value>, v8::Local<v8::Context> context) {
  v8::Isolate* isolate = IsolateOf(context);
  PinLibrary();
  bool first;
  {
    std::lock_guard<std::mutex> lock(states_mutex);
    first = states.find(isolate) == states.end();
  }
  // A first load of this addon file in the isolate: the isolate's owner,
  // unless another copy of fringe got there first.
  bool guest = false, agrees = false;
  if (first) {
    v8::Local<v8::Object> registry = Registry(context);
    if (registry.IsEmpty()) {
      StopWasmCodeGc(isolate);
      MakeRegistry(context);
    } else {
      guest = true;
      agrees = Field(context, registry, "interface")->StrictEquals(v8::Integer::New(isolate, LibraryInterface()));
    }
  }
  bool created;
  AddonState* state = StateFor(isolate, &created, guest, agrees);
  // Once per isolate: Node aborts on a second registration of the same hook.
  if (created) node::AddEnvironmentCleanupHook(isolate, &Cleanup, state);
  v8::Local<v8::External> data = v8::External::New(isolate, state);

  // Symbols for the Coroutine methods: lib reaches them, user code sees no
  // string-named methods on Generator.prototype's parent.
  v8::Local<v8::Symbol> resume_key = v8::Symbol::New(isolate, String(isolate, "fringe.resume"));
  v8::Local<v8::Symbol> discard_key = v8::Symbol::New(isolate, String(isolate, "fringe.discard"));
  v8::Local<v8::Symbol> usage_key = v8::Symbol::New(isolate, String(isolate, "fringe.stackUsage"));
  {
    v8::Local<v8::FunctionTemplate> t = v8::FunctionTemplate::New(isolate, CoroutineNew, data);
    t->SetClassName(String(isolate, "Coroutine"));
    t->InstanceTemplate()->SetInternalFieldCount(kGeneratorFields);
    v8::Local<v8::Signature> signature = v8::Signature::New(isolate, t);
    auto method = [&](v8::Local<v8::Symbol> key, v8::FunctionCallback callback) {
      t->PrototypeTemplate()->Set(key, v8::FunctionTemplate::New(isolate, callback, v8::Local<v8::Value>(), signature, 0,
                                                                 v8::ConstructorBehavior::kThrow,
                                                                 v8::SideEffectType::kHasSideEffect));
    };
    method(resume_key, Resume);
    method(discard_key, Discard);
    method(usage_key, StackUsage);
    exports->Set(context, String(isolate, "Coroutine"), t->GetFunction(context).ToLocalChecked()).Check();
  }
  exports->Set(context, String(isolate, "kResume"), resume_key).Check();
  exports->Set(context, String(isolate, "kDiscard"), discard_key).Check();
  exports->Set(context, String(isolate, "kStackUsage"), usage_key).Check();
  if (state->stack_template.IsEmpty()) {
    // Stacks have three fields, Generators two: the count tells them apart.
    v8::Local<v8::ObjectTemplate> s = v8::ObjectTemplate::New(isolate);
    s->SetInternalFieldCount(kStackFields);
    state->stack_template.Reset(isolate, s);
  }

  SetMethod(context, exports, "createStack", CreateStack, data);
  SetMethod(context, exports, "stackInfo", StackInfo, data);
  SetMethod(context, exports, "releaseStack", ReleaseStack, data);
  SetMethod(context, exports, "takeStack", TakeStack, data);
  SetMethod(context, exports, "suspend", Suspend, data);
  SetMethod(context, exports, "suspendFrom", SuspendFrom, data);
  SetMethod(context, exports, "current", Current, data);
  SetMethod(context, exports, "deliver", DeliverResult, data);
  SetMethod(context, exports, "park", ParkFiber, data);
  state->reap.Reset(isolate, SetMethod(context, exports, "reap", Reap, data));
  SetMethod(context, exports, "setHooks", SetHooks, data);
  SetMethod(context, exports, "shareLibrary", ShareLibrary, data);
  SetMethod(context, exports, "claimPackage", ClaimPackage, data);
  SetMethod(context, exports, "setPoolSize", SetPoolSize, data);
  SetMethod(context, exports, "enterWatchdog", EnterWatchdog, data);
  SetMethod(context, exports, "leaveWatchdog", LeaveWatchdog, data);
  SetMethod(context, exports, "exiting", Exiting, data);
  SetMethod(context, exports, "stats", Stats, data);
  InitializeNativeBench(context, exports);
  InitializeTestHooks(context, exports);

  std::shared_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      state->status, kStatusSlots * sizeof(std::int32_t), [](void*, size_t, void*) {}, nullptr);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, store);
  exports->Set(context, String(isolate, "status"), v8::Int32Array::New(buffer, 0, kStatusSlots)).Check();
  exports->Set(context, String(isolate, "supported"), v8::Boolean::New(isolate, state->runtime != nullptr)).Check();
  // Where V8's internals were found: "dynamic symbols" or ".symtab".
  exports->Set(context, String(isolate, "symbolSource"), String(isolate, V8Layout::Get().symbol_source())).Check();
  if (!state->runtime) {
    exports->Set(context, String(isolate, "unsupportedReason"), String(isolate, state->unsupported_reason.c_str()))
        .Check();
  }
  exports->Set(context, String(isolate, "debugStepping"),
               v8::Boolean::New(isolate, state->runtime != nullptr && state->runtime->debug_stepping()))
      .Check();
  exports->Set(context, String(isolate, "minimumStackSize"),
               v8::Number::New(isolate, static_cast<double>(Runtime::kMinimumStackSize)))
      .Check();
  exports->Set(context, String(isolate, "defaultStackSize"), v8::Number::New(isolate, static_cast<double>(kDefaultStackSize)))
      .Check();
  exports->Set(context, String(isolate, "pageSize"), v8::Number::New(isolate, static_cast<double>(page_size()))).Check();
}

}  // namespace fringe

// Context-aware, so that worker threads can load it too (each isolate gets its
// own Runtime).
NODE_MODULE_INIT(/* exports, module, context */) { fringe::Initialize(exports, module, context); }
