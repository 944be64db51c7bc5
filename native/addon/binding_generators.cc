// Generators: the Coroutine class lib's Generator extends (its symbol-keyed
// methods resume, discard and report stack usage), and the functions a
// running body calls: suspend, suspendFrom, current, and fiberMain's deliver
// and park. Runtime's switch is inlined into these callbacks (runtime.h,
// "The switch"): this is the hot path of a resume/suspend round trip.
//
// lib's Generator class extends the Coroutine class made here, so each
// Generator object is itself the native handle: its internal fields hold its
// Coroutine and the isolate's AddonState. Methods are symbol-keyed and
// signature-checked: V8 verifies the receiver before the callback runs.

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <system_error>

#include "binding.h"

namespace fringe {
namespace binding {
namespace {

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

// First-pass weak callback on a Generator: only bookkeeping. The generator is
// unwound (or freed) later at a safe point, from JavaScript (lib checks
// status[StatusSlot.SlowPath] when it creates or resumes a generator) or from
// the event loop (reap_signal).
void OnGeneratorCollected(const v8::WeakCallbackInfo<Coroutine>& data) {
  Coroutine* co = data.GetParameter();
  co->owner.Reset();
  co->runtime->NoteCollected(co);
  auto* state = static_cast<AddonState*>(co->runtime->owner());
  Status(state, StatusSlot::kSlowPath) |= SlowPathBit(SlowPathReason::kCollected);
  if (state->reap_signal_open) uv_async_send(&state->reap_signal);
}

// new Coroutine(stack handle | undefined, size, id): called by `super()` in
// lib's Generator constructor.
void CoroutineNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  AddonState* state = StateOf(info);
  if (!info.IsConstructCall()) return ThrowContractError(isolate, ErrorId::kConstructWithoutNew, {{"name", "Coroutine"}});
  if (!RequireRuntime(state, isolate)) return;
  if (!info[2]->IsNumber()) return ThrowArgType(state, isolate, "id", Expected::kNumber, info[2]);
  StackBox* box = nullptr;
  std::size_t size = 0;
  if (!info[0]->IsUndefined()) {
    box = UnwrapStack(state, info[0]);
    // lib/stack.ts (parseStackOption) checks these first; these are the
    // backstop, in the same words, for the argument lib's Generator calls
    // `stack` (the handle here, or the size when there is none).
    if (box == nullptr) return ThrowArgType(state, isolate, "stack", Expected::kStack, info[0]);
    if (box->user != nullptr) return ThrowContractError(isolate, ErrorId::kStackInUse, {{"argument", "stack"}});
    if (!box->stack) return ThrowContractError(isolate, ErrorId::kStackReleased, {{"argument", "stack"}});
    if (box->size < Runtime::kMinimumStackSize) {
      return ThrowContractError(isolate, ErrorId::kStackTooSmall,
                                {{"argument", "stack"},
                                 {"minimum", std::to_string(Runtime::kMinimumStackSize)},
                                 {"size", std::to_string(box->size)}});
    }
  } else if (!CheckStackSize(state, isolate, "stack", Expected::kStack, info[1], &size)) {
    return;
  }
  Runtime* runtime = state->runtime.get();
  double id = info[2].As<v8::Number>()->Value();
  std::error_code error;
  std::string reason;
  Coroutine* co = runtime->NewCoroutine(box, size, id, error, &reason);
  if (co == nullptr && error.value() == ENOMEM) {
    // Out of mappings or address space, often because unreachable suspended
    // generators still hold their stacks: collect garbage, unwind what was
    // collected, and try once more.
    isolate->LowMemoryNotification();
    // reap() reports what unwinding throws and returns normally; it fails
    // only when execution is being terminated, and then so do we.
    if (state->reap.Get(isolate)->Call(isolate->GetCurrentContext(), v8::Undefined(isolate), 0, nullptr).IsEmpty()) return;
    co = runtime->NewCoroutine(box, size, id, error, &reason);
  }
  if (co == nullptr) return ThrowStackAllocation(isolate, size, reason);
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

// An exception is leaving a body through this resume: lib's crossed(error,
// generator) continues its stack with the resumer's frames (lib/traces.ts).
// Called here, on the resumer's side and only on this path, rather than
// from lib's catch around the resume: a call in that catch block, never
// taken, slowed the round trip by several percent (bench/compare.js). What
// the hook throws is dropped: the body's exception goes on.
__attribute__((noinline, cold)) void ExtendCrossing(AddonState* state, const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (state->crossed.IsEmpty()) return;
  v8::Isolate* isolate = info.GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> args[] = {info.GetReturnValue().Get(), info.This()};
  state->crossed.Get(isolate)->Call(isolate->GetCurrentContext(), v8::Undefined(isolate), 2, args).IsEmpty();
}

// After Runtime::Resume: report the outcome to JavaScript. The body's return
// value or exception is already in the call's return-value slot.
__attribute__((always_inline)) inline void Deliver(AddonState* state, Coroutine* co,
                                                  const v8::FunctionCallbackInfo<v8::Value>& info) {
  Status(state, StatusSlot::kOutcome) = static_cast<std::int32_t>(co->outcome);
  switch (co->outcome) {
    case Outcome::kYielded:
      info.GetReturnValue().Set(co->out);
      return;
    case Outcome::kReturned:
      return;
    case Outcome::kThrew:
      ExtendCrossing(state, info);
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
  ThrowContractError(isolate, ErrorId::kSuspendInAsyncScope,
                     {{"now", std::to_string(static_cast<long long>(now))},
                      {"resumed", std::to_string(static_cast<long long>(resumed))}});
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
    ThrowContractError(isolate, ErrorId::kSuspendInDebugger);
  } else if (runtime->InOwnMicrotaskCheckpoint(co)) {
    ThrowContractError(isolate, ErrorId::kSuspendInMicrotask);
  } else if (in_join) {
    ThrowContractError(isolate, ErrorId::kSuspendInJoin);
  } else if (here->exiting) {
    ThrowContractError(isolate, ErrorId::kSuspendInExit);
  } else {
    ThrowContractError(isolate, ErrorId::kSuspendInVmTimeout);
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

__attribute__((noinline, cold)) void ThrowResumeModeRange(AddonState* state, v8::Isolate* isolate,
                                                         v8::Local<v8::Value> mode) {
  ThrowArgRange(state, isolate, "mode", Expected::kResumeMode, mode,
                {{"minimum", "0"}, {"maximum", std::to_string(kResumeModeCount - 1)}});
}

// generator[kResume](mode, value, asyncId): the value the body suspended with or
// returned; status[StatusSlot.Outcome] tells which. The first call starts the body on
// the generator's fiber (lib's fiberMain takes the body from the module
// variables the caller set; it never sees the Generator).
void Resume(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto [co, state] = ReceiverOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  // A finished generator has forgotten its Coroutine (Forget()).
  if (co == nullptr) return ThrowContractError(isolate, ErrorId::kGeneratorDone);
  if (co->state == CoroutineState::kRunning) return ThrowContractError(isolate, ErrorId::kGeneratorRunning);
  v8::Local<v8::Value> mode = info[0];
  if (!mode->IsInt32()) return ThrowArgType(state, isolate, "mode", Expected::kInteger, mode);
  int m = mode.As<v8::Int32>()->Value();
  if (m < 0 || m >= kResumeModeCount) return ThrowResumeModeRange(state, isolate, mode);
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
  if (co == nullptr) return ThrowContractError(isolate, ErrorId::kSuspendOutside);
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
  if (co == nullptr) return ThrowContractError(isolate, ErrorId::kSuspendOutside);
  // By id, also for a generator being unwound after its collection: its
  // cleanup code using another generator's yielder is as wrong as anywhere.
  if (!info[0]->IsNumber() || info[0].As<v8::Number>()->Value() != co->id) {
    return ThrowContractError(isolate, ErrorId::kWrongGenerator);
  }
  if (RefuseSuspendInAsyncScope(isolate, co, info[2])) return;
  if (RefuseLeaving(isolate, state->runtime.get(), co)) return;
  SuspendRunning(state, co, info, info[1]);
}

// deliver(threw, result): from lib's fiberMain when a body has ended.
void DeliverResult(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (!state->runtime || state->runtime->current_coroutine() == nullptr) {
    return ThrowContractError(info.GetIsolate(), ErrorId::kFiberCallOutside, {{"function", "deliver"}});
  }
  state->runtime->Deliver(info[0]->IsTrue(), info[1]);
}

// park(): from lib's fiberMain after deliver(): true when the next body is
// to start on this fiber (its resume() has left it for fiberMain to take),
// false when fiberMain should return.
void ParkFiber(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  if (!state->runtime || state->runtime->current_coroutine() == nullptr) {
    return ThrowContractError(info.GetIsolate(), ErrorId::kFiberCallOutside, {{"function", "park"}});
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

// generator[kStackUsage](): { used, belowLimit }: bytes of the generator's
// stack touched (ever, or since an idle generator's deep pages were given
// back: Runtime::TrimIdleStacks), counted from where its frames start (below
// its first handle block), and the bytes below V8's JS limit among them.
// Untouched pages of a fresh mapping read as zeros, so the deepest non-zero
// word marks the high-water mark. For tests and diagnostics.
void StackUsage(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto [co, state] = ReceiverOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (co == nullptr || co->fiber == nullptr) return ThrowContractError(isolate, ErrorId::kStackUsageDone);
  Fiber* fiber = co->fiber;
  auto* limit = static_cast<const std::uintptr_t*>(fiber->stack.limit());
  auto* base = static_cast<const std::uintptr_t*>(fiber->frames_base);
  const std::uintptr_t* p = limit;
  while (p < base && *p == 0) p++;
  auto deepest = reinterpret_cast<std::uintptr_t>(p);
  double used = static_cast<double>(reinterpret_cast<std::uintptr_t>(base) - deepest);
  double below = deepest < fiber->js_limit ? static_cast<double>(fiber->js_limit - deepest) : 0;
  v8::Local<v8::Value> values[] = {v8::Number::New(isolate, used), v8::Number::New(isolate, below)};
  info.GetReturnValue().Set(Record(state, isolate, {"used", "belowLimit"}, values));
}

// --- Introspection: stack traces and report() -------------------------------

// A frame limit from JavaScript: lib passes Error.stackTraceLimit (or its
// default); anything else counts as 10, V8's default.
int FrameLimit(v8::Local<v8::Value> value) {
  if (!value->IsNumber()) return 10;
  double limit = value.As<v8::Number>()->Value();
  if (!(limit >= 0)) return 0;
  return limit > 10000 ? 10000 : static_cast<int>(limit);
}

// The frames of a suspended coroutine, as a flat array lib formats:
// [function, script, line, column, isConstructor, ...], innermost first.
v8::Local<v8::Array> CapturedFrames(v8::Isolate* isolate, Runtime* runtime, Coroutine* co, int limit) {
  CaptureRequest request;
  request.limit = limit;
  runtime->CaptureStack(co, &request);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate, static_cast<int>(request.frames.size() * 5));
  std::uint32_t i = 0;
  for (const CapturedFrame& frame : request.frames) {
    out->Set(context, i++, v8::String::NewFromUtf8(isolate, frame.function.c_str()).ToLocalChecked()).Check();
    out->Set(context, i++, v8::String::NewFromUtf8(isolate, frame.script.c_str()).ToLocalChecked()).Check();
    out->Set(context, i++, v8::Integer::New(isolate, frame.line)).Check();
    out->Set(context, i++, v8::Integer::New(isolate, frame.column)).Check();
    out->Set(context, i++, v8::Boolean::New(isolate, frame.constructor)).Check();
  }
  return out;
}

// Whether `co`'s stack can be captured: its body has run and is suspended.
bool Capturable(const Coroutine* co) { return co != nullptr && co->state == CoroutineState::kSuspended && co->fiber != nullptr; }

// generator[kStackTrace](limit): the frames of a suspended generator (see
// CapturedFrames), or undefined when it is not suspended with a body on its
// stack (running, done, never started): lib says which. Runs no JavaScript
// and leaves the generator as it was.
void StackTrace(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto [co, state] = ReceiverOf(info);
  if (!Capturable(co)) return;
  info.GetReturnValue().Set(CapturedFrames(info.GetIsolate(), state->runtime.get(), co, FrameLimit(info[0])));
}

// Bytes of [limit, base) resident in memory, by mincore(): the pages a body
// has touched (and the kernel has not swapped out).
double ResidentBytes(const void* limit, const void* base) {
  static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  std::uintptr_t start = reinterpret_cast<std::uintptr_t>(limit) & ~(page - 1);
  std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(base) + page - 1) & ~(page - 1);
  if (end <= start) return 0;
  std::size_t pages = (end - start) / page;
  static std::vector<unsigned char> vector;
  if (vector.size() < pages) vector.resize(pages);
  if (mincore(reinterpret_cast<void*>(start), end - start, vector.data()) != 0) return 0;
  std::size_t resident = 0;
  for (std::size_t i = 0; i < pages; i++) resident += vector[i] & 1;
  return static_cast<double>(resident * page);
}

// report(stacks, limit): { live, suspended, running, pooled,
// stackBytesMapped, stackBytesTouched[, generators] } for this isolate's
// Runtime. `generators` (with `stacks`) holds [state, stackSize, frames or
// undefined] per live coroutine, state a CoroutineState number; lib names
// them. Capturing switches to each suspended fiber and back, running no
// JavaScript (Runtime::CaptureStack).
void Report(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  Runtime* runtime = state->runtime.get();
  const bool stacks = info[0]->IsTrue();
  const int limit = FrameLimit(info[1]);
  double suspended = 0, running = 0, mapped = 0, touched = 0;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> generators = v8::Array::New(isolate);
  if (runtime != nullptr) {
    // A copy: nothing runs JavaScript below, but stay independent of the
    // registry's order anyway.
    std::vector<Coroutine*> all = runtime->coroutines();
    std::uint32_t n = 0;
    for (Coroutine* co : all) {
      if (co->state == CoroutineState::kDone) continue;
      if (co->state == CoroutineState::kRunning) {
        running++;
      } else {
        suspended++;
      }
      double size = 0;
      if (co->fiber != nullptr) {
        size = static_cast<double>(co->fiber->stack.size());
        mapped += size;
        touched += ResidentBytes(co->fiber->stack.limit(), co->fiber->stack.base());
      }
      if (!stacks) continue;
      v8::HandleScope scope(isolate);
      v8::Local<v8::Value> frames = v8::Undefined(isolate);
      if (Capturable(co)) frames = CapturedFrames(isolate, runtime, co, limit);
      v8::Local<v8::Value> entry[] = {v8::Integer::New(isolate, static_cast<int>(co->state)), v8::Number::New(isolate, size),
                                      frames};
      generators->Set(context, n++, v8::Array::New(isolate, entry, 3)).Check();
    }
    for (Fiber* fiber : runtime->pool()) {
      mapped += static_cast<double>(fiber->stack.size());
      touched += ResidentBytes(fiber->stack.limit(), fiber->stack.base());
    }
  }
  auto number = [&](double value) -> v8::Local<v8::Value> { return v8::Number::New(isolate, value); };
  v8::Local<v8::Value> values[] = {
      number(suspended + running), number(suspended), number(running),
      number(runtime != nullptr ? static_cast<double>(runtime->pooled()) : 0), number(mapped), number(touched),
      stacks ? v8::Local<v8::Value>(generators) : v8::Local<v8::Value>(v8::Undefined(isolate))};
  info.GetReturnValue().Set(Record(state, isolate,
                                   {"live", "suspended", "running", "pooled", "stackBytesMapped", "stackBytesTouched",
                                    "generators"},
                                   values));
}

// debugActive(): whether a debugger is attached; lib asks when a switch
// has set SlowPathReason::kDebugger (Runtime::set_debugger_signal).
void DebugActive(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  info.GetReturnValue().Set(state->runtime != nullptr && state->runtime->debug_active());
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
  Status(state, StatusSlot::kSlowPath) &= ~SlowPathBit(SlowPathReason::kCollected);
  if (!state->runtime) return;
  Runtime* runtime = state->runtime.get();
  Runtime::StackReleaseBatch batch(runtime);  // the stacks of those that finish, all at once
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
    if (co->state == CoroutineState::kDone || co->state == CoroutineState::kFresh) {
      runtime->Delete(co);
    } else {
      // It kept suspending: it stays allocated, never resumed again, and
      // lib's warn() says so (warn(undefined, attempts)).
      v8::HandleScope scope(isolate);
      v8::Local<v8::Value> args[] = {v8::Undefined(isolate), v8::Integer::New(isolate, kUnwindAttempts)};
      state->warn.Get(isolate)->Call(isolate->GetCurrentContext(), v8::Undefined(isolate), 2, args).IsEmpty();
    }
  }
  info.GetReturnValue().SetUndefined();
}

// setHooks(GeneratorReturn, warn, reaper, fiberMain, describe, crossed): lib's parts.
// The first copy of lib loaded in the isolate keeps them: its fiberMain is
// already on fibers' stacks (a later copy hands out the first one's
// exports, see shareLibrary()).
void SetHooks(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  const char* names[] = {"generatorReturn", "warn", "reaper", "fiberMain", "describe", "crossed"};
  for (int i = 0; i < 6; i++) {
    if (!info[i]->IsFunction()) return ThrowArgType(state, isolate, names[i], Expected::kFunction, info[i]);
  }
  if (!state->generator_return.IsEmpty()) return;
  state->generator_return.Reset(isolate, info[0].As<v8::Function>());
  state->warn.Reset(isolate, info[1].As<v8::Function>());
  state->reaper.Reset(isolate, info[2].As<v8::Function>());
  if (state->runtime) state->runtime->set_fiber_main(isolate, info[3].As<v8::Function>());
  state->describe.Reset(isolate, info[4].As<v8::Function>());
  state->crossed.Reset(isolate, info[5].As<v8::Function>());
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

// setPoolSize(size): Generator.poolSize's setter, which checks the size
// first, in the same words.
void SetPoolSize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsNumber()) return ThrowArgType(state, isolate, "poolSize", Expected::kNumber, info[0]);
  double size = info[0].As<v8::Number>()->Value();
  // -0 passes (it is 0), as it does lib's check.
  if (!(std::trunc(size) == size && size >= 0 && size <= static_cast<double>(kMaximumPoolSize))) {
    return ThrowArgRange(state, isolate, "poolSize", Expected::kPoolSize, info[0],
                         {{"maximum", std::to_string(kMaximumPoolSize)}});
  }
  if (state->runtime) state->runtime->set_pool_limit(static_cast<std::size_t>(size));
}

}  // namespace

void InitializeGenerators(v8::Local<v8::Context> context, v8::Local<v8::Object> exports, AddonState* state,
                          v8::Local<v8::External> data) {
  v8::Isolate* isolate = IsolateOf(context);
  // Symbols for the Coroutine methods: lib reaches them, user code sees no
  // string-named methods on Generator.prototype's parent.
  v8::Local<v8::Symbol> resume_key = v8::Symbol::New(isolate, String(isolate, "fringe.resume"));
  v8::Local<v8::Symbol> discard_key = v8::Symbol::New(isolate, String(isolate, "fringe.discard"));
  v8::Local<v8::Symbol> usage_key = v8::Symbol::New(isolate, String(isolate, "fringe.stackUsage"));
  v8::Local<v8::Symbol> trace_key = v8::Symbol::New(isolate, String(isolate, "fringe.stackTrace"));
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
    method(trace_key, StackTrace);
    exports->Set(context, String(isolate, "Coroutine"), t->GetFunction(context).ToLocalChecked()).Check();
  }
  exports->Set(context, String(isolate, "kResume"), resume_key).Check();
  exports->Set(context, String(isolate, "kDiscard"), discard_key).Check();
  exports->Set(context, String(isolate, "kStackUsage"), usage_key).Check();
  exports->Set(context, String(isolate, "kStackTrace"), trace_key).Check();

  SetMethod(context, exports, "suspend", Suspend, data);
  SetMethod(context, exports, "suspendFrom", SuspendFrom, data);
  SetMethod(context, exports, "current", Current, data);
  SetMethod(context, exports, "report", Report, data);
  SetMethod(context, exports, "debugActive", DebugActive, data);
  SetMethod(context, exports, "deliver", DeliverResult, data);
  SetMethod(context, exports, "park", ParkFiber, data);
  state->reap.Reset(isolate, SetMethod(context, exports, "reap", Reap, data));
  SetMethod(context, exports, "setHooks", SetHooks, data);
  SetMethod(context, exports, "setPoolSize", SetPoolSize, data);
  SetMethod(context, exports, "enterWatchdog", EnterWatchdog, data);
  SetMethod(context, exports, "leaveWatchdog", LeaveWatchdog, data);
  SetMethod(context, exports, "exiting", Exiting, data);
}

}  // namespace binding
}  // namespace fringe
