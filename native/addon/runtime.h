// Coroutines that run JavaScript, one Runtime per isolate.
//
// Three kinds of object:
//   ExecutionContext  something that can run JavaScript: the OS thread's own
//                     stack (Runtime::root_), or a Fiber. Exactly one runs at a
//                     time; every other one's V8 state is archived in its
//                     V8ThreadState, where the GC and the deoptimizer see it.
//   Fiber             a stack and the V8 state that runs on it. A fiber runs
//                     lib's fiberMain(), a loop that calls one body after
//                     another: between bodies it parks (suspends itself
//                     inside park()) in a pool, and the next generator starts
//                     by resuming it -- one switch, no new JS entry frame.
//   Coroutine         one JS Generator's native side: its state, the fiber it
//                     runs on, and a weak handle to the Generator object
//                     itself (which is created from the Coroutine class).
//
// A switch is always made by the side that leaves: it has the V8 unit
// archive its V8 state and make the target's current (V8Switch,
// native/v8/v8_switch.h: the stack limit, cppgc's stack start, ... follow),
// and swaps machine stacks. The side that wakes up finds everything in
// place. Runtime itself only schedules: it writes nothing inside V8.
//
// Values cross a switch as v8::Locals of the side that leaves: a Local is a
// pointer to a slot in that side's handle blocks or stack frames, which stay
// where they are (and are visited and updated by the GC) while that side is
// archived. A body's final value or exception is written straight into the
// return-value slot of the resume() call that is waiting for it, on the
// (archived) resumer's stack: no v8::Global on the way.

#ifndef FRINGE_ADDON_RUNTIME_H
#define FRINGE_ADDON_RUNTIME_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <v8.h>

#include "fringe/context.hpp"
#include "fringe/stack.hpp"
#include "contract.h"
#include "mapping_budget.h"
#include "v8/join_stack.h"
#include "v8/v8_switch.h"

namespace fringe {

class Runtime;
struct Coroutine;
struct StackBox;

// Its V8 state (V8Context) is the V8 unit's; the rest is scheduling.
struct ExecutionContext : V8Context {
  ExecutionContext(Runtime* runtime, V8Switch& v8, bool is_fiber) : V8Context(v8, is_fiber), runtime(runtime) {}
  Runtime* runtime;
  void* sp = nullptr;                 // machine stack pointer while not running
  // Sections of Node's that assume they end before anything else runs on
  // the thread, open on this context's stack: a suspend() from inside one is
  // refused (binding_generators.cc, RefuseLeaving). Reset when a fiber's body ends.
  std::uint32_t watchdog_calls = 0;   // vm calls with a timeout/breakOnSigint watchdog
  bool exiting = false;               // process.exit() / 'exit' listeners began here
};

struct Fiber;

/// A fiber's place in the Runtime's list of fibers that ran in one interval
/// between full GCs (Runtime::TrimIdleStacks).
struct RanLink {
  RanLink* prev = nullptr;
  RanLink* next = nullptr;  // null: in no list
  Fiber* fiber = nullptr;
};

struct Fiber : ExecutionContext {
  Fiber(Runtime* runtime, V8Switch& v8) : ExecutionContext(runtime, v8, true) { ran.fiber = this; }
  BudgetedStack stack;
  StackBox* box = nullptr;      // the JS OsStack the stack belongs to, if any
  void** link = nullptr;        // the stack's call-stack splicing slot
  void* frames_base = nullptr;  // where its frames start: below its first handle block (V8Switch::InitStack)
  Coroutine* coroutine = nullptr;  // the generator running (or about to) on it
  bool started = false;         // fiberMain is on its stack (parked or busy)
  bool finished = false;        // fiberMain returned: delete, never reuse
  std::int64_t accounted = 0;   // external memory reported to V8 for it (Runtime::NewFiber)
  std::uint32_t ran_interval = 0;  // the interval between full GCs it last ran in (Runtime::NoteRan)
  RanLink ran;                     // in the list of that interval's fibers, until it is trimmed
};

enum class CoroutineState : int { kFresh = 0, kSuspended = 1, kRunning = 2, kDone = 3 };

/// One frame of a suspended generator's stack, copied out of V8 on its own
/// fiber (Runtime::CaptureStack): plain C++ values, so that nothing of the
/// fiber's handle scopes is needed once it has switched back.
struct CapturedFrame {
  std::string function;  // empty for an anonymous function
  std::string script;    // the script's name or sourceURL; empty if none
  int line = 0;          // 1-based, 0 when unknown
  int column = 0;        // 1-based, 0 when unknown
  bool constructor = false;
};

/// A request to capture a suspended coroutine's stack (Runtime::CaptureStack).
struct CaptureRequest {
  ExecutionContext* requester = nullptr;  // the context to switch back to
  int limit = 0;                          // frames at most
  std::vector<CapturedFrame> frames;      // innermost first
};
// ResumeMode and Outcome are shared with lib: contract.h.

struct Coroutine {
  Runtime* runtime = nullptr;
  double id = 0;                    // what its Yielder names it by
  Fiber* fiber = nullptr;           // until it is done
  CoroutineState state = CoroutineState::kFresh;
  ExecutionContext* resumer = nullptr;  // while running
  double resume_async_id = 0;           // async_hooks' execution id at the last resume (binding_generators.cc)
  std::uint32_t join_base = 0;          // joins in progress at the last resume (join_stack.h)
  bool resumed_in_microtasks = false;   // the default microtask queue was running at the last resume

  // Transfer between the two sides of a switch; see the header comment.
  ResumeMode mode = ResumeMode::kNext;
  v8::Local<v8::Value> in;   // resumer -> coroutine
  v8::Local<v8::Value> out;  // coroutine -> resumer, at suspend()
  Outcome outcome = Outcome::kYielded;
  // The resume() call waiting for this coroutine: its return-value slot
  // receives the result. (The first one's caller in lib hands the body and
  // its yielder to fiberMain.)
  const v8::FunctionCallbackInfo<v8::Value>* resume_call = nullptr;
  // Set while another context asks for this suspended coroutine's stack
  // (Runtime::CaptureStack): the switch into the fiber is not a resume.
  CaptureRequest* capture = nullptr;

  v8::Global<v8::Object> owner;  // weak: the Generator object
  bool retiring = false;         // not a generator: tells a parked fiber to end
  Coroutine* next_collected = nullptr;
  std::size_t index = 0;         // in Runtime::all_
};

/// A guarded stack owned by a JS OsStack object while no generator uses it.
struct StackBox {
  BudgetedStack stack;
  std::size_t size = 0;
  void* base = nullptr;
  void* limit = nullptr;
  Coroutine* user = nullptr;  // the generator that owns it until it finishes
  v8::Global<v8::Object> handle;  // weak
};

/// Internal fields of a Generator object (created from the Coroutine class).
enum GeneratorField : int { kCoroutineField = 0, kStateField = 1, kGeneratorFields = 2 };

class Runtime {
 public:
  /// Bytes below V8's JS stack limit kept for native code: the GC, runtime
  /// functions and API callbacks run on whatever stack is current. (Measured
  /// need: under 5 KiB; see docs/DESIGN.md.)
  static constexpr std::size_t kNativeReserve = 64 * 1024;
  /// The smallest stack a JS generator accepts: the native reserve plus room
  /// for a few hundred ordinary JS frames.
  static constexpr std::size_t kMinimumStackSize = kNativeReserve + 64 * 1024;
  /// External memory reported to V8 per fiber: what a shallow suspended
  /// generator keeps resident outside V8's heap, measured (bench/suites/
  /// scale.js, 5.6 KiB): its stack's page, with its first handle block in
  /// it, and fringe's records. Where V8 allocates every handle block
  /// (V8Switch::handle_blocks_in_stacks()), one more page: its first block's.
  static constexpr std::int64_t kAccountedBytes = 6 * 1024;
  static constexpr std::int64_t kAccountedHandleBlock = 4 * 1024;
  /// The external growth after which V8 starts a full GC whatever is live
  /// (Heap::kExternalAllocationSoftLimit): fibers are reported in full until
  /// their reports reach it; beyond, each new one is reported at a share
  /// that falls as 1/fibers (see NewFiber).
  static constexpr std::int64_t kExternalGrowthForGc = 64 * 1024 * 1024;

  static std::unique_ptr<Runtime> Create(v8::Isolate* isolate, std::string* error);
  ~Runtime();

  v8::Isolate* isolate() const { return isolate_; }
  Coroutine* current_coroutine() const { return current_ == &root_ ? nullptr : static_cast<Fiber*>(current_)->coroutine; }

  /// A coroutine for a new Generator: on `box`'s stack, or on a stack of
  /// `size` bytes (pooled when it is the default size). Fails with `error`
  /// and `message` when no stack can be mapped.
  Coroutine* NewCoroutine(StackBox* box, std::size_t size, double id, std::error_code& error, std::string* message);
  /// Runs `co` until it suspends or finishes; `call` is the API call waiting
  /// for it. The caller reads co->outcome.
  inline void Resume(Coroutine* co, ResumeMode mode, v8::Local<v8::Value> input,
                     const v8::FunctionCallbackInfo<v8::Value>& call);
  /// From inside the running coroutine: hands `value` to its resumer and
  /// waits to be resumed; returns with co->mode/co->in set.
  inline void Suspend(v8::Local<v8::Value> value);
  /// Copies the JavaScript stack of `co` into `request->frames` (at most
  /// `request->limit` frames), without running any JavaScript and without
  /// changing its state: `co` must be suspended (CoroutineState::kSuspended).
  /// Switches to its fiber, where V8 walks the fiber's own frames
  /// (v8::StackTrace::CurrentStackTrace: no Error.prepareStackTrace, no
  /// source maps), and straight back; see ServeCaptures.
  void CaptureStack(Coroutine* co, CaptureRequest* request);
  /// Every coroutine not yet deleted, and the parked or unused fibers of the
  /// pool (for report()).
  const std::vector<Coroutine*>& coroutines() const { return all_; }
  const std::vector<Fiber*>& pool() const { return pool_; }
  /// Finishes a coroutine that never ran, releasing its stack.
  void Discard(Coroutine* co);
  /// From fiberMain, when the running body has ended: writes its result (or
  /// exception) into the waiting resume() call's return-value slot.
  void Deliver(bool threw, v8::Local<v8::Value> result);
  /// From fiberMain after Deliver: parks the fiber and switches back to the
  /// resumer. Returns the next coroutine to run on it, or null when the fiber
  /// must end (fiberMain then returns).
  inline Coroutine* Park();
  void set_fiber_main(v8::Isolate* isolate, v8::Local<v8::Function> main) { fiber_main_.Reset(isolate, main); }
  /// Deletes a coroutine that is done or never ran.
  void Delete(Coroutine* co);

  std::size_t pool_limit() const { return pool_limit_; }
  void set_pool_limit(std::size_t limit);
  std::size_t pooled() const { return pool_.size(); }
  std::size_t live_coroutines() const { return all_.size(); }
  const ScavengeFilter& scavenge_filter() const { return v8_.filter(); }
  /// The running context (the OS thread's stack or a fiber).
  ExecutionContext* current_context() const { return current_; }
  /// How many Array joins are in progress in the context fringe was loaded
  /// in (join_stack.h).
  std::uint32_t join_depth() const { return join_stack_.Depth(home_context_); }
  /// Whether the running context is inside a microtask checkpoint that
  /// `co` itself began: the queue of the context it has entered (V8 enters
  /// each microtask's context on the stack that runs the checkpoint) is
  /// running, and it is not the default queue that was already running
  /// when `co` was resumed (run() resumes its generators from promise
  /// reactions).
  bool InOwnMicrotaskCheckpoint(const Coroutine* co) const {
    v8::MicrotaskQueue* queue = isolate_->GetEnteredOrMicrotaskContext()->GetMicrotaskQueue();
    if (queue == nullptr || !queue->IsRunningMicrotasks()) return false;
    return !(queue == default_microtasks_ && co->resumed_in_microtasks);
  }
  /// Whether a debugger event (a break, an evaluation on a paused frame, a
  /// script-compiled or exception event) is being handled on this stack.
  bool in_debug_scope() const { return v8_.in_debug_scope(); }
  /// Whether a debugger's step survives a switch (V8ThreadState::RestoreDebugging).
  bool debug_stepping() const { return v8_.debug_stepping(); }
  bool handle_blocks_in_stacks() const { return v8_.handle_blocks_in_stacks(); }
  /// Whether a debugger is attached; V8Switch::set_debugger_signal.
  bool debug_active() const { return v8_.debug_active(); }
  void set_debugger_signal(std::int32_t* word, std::int32_t bit) { v8_.set_debugger_signal(word, bit); }

  // Generators whose Generator object was collected, to be unwound (when
  // suspended) or freed at a safe point; see binding_generators.cc.
  void NoteCollected(Coroutine* co);
  Coroutine* TakeCollected();

  /// Called when the environment goes away: no JavaScript can run any more.
  void Teardown();

  /// While one exists, the stacks of fibers deleted are given back together
  /// when the last one ends (or every kReleaseBatch stacks), with
  /// BudgetedStack::ReleaseMany: reaping collected generators or shrinking
  /// the pool frees many stacks at once, and giving back each one's pages
  /// on its own costs a TLB shootdown per stack (mapping_budget.cc).
  class StackReleaseBatch {
   public:
    explicit StackReleaseBatch(Runtime* runtime) : runtime_(runtime) { runtime_->release_batches_++; }
    ~StackReleaseBatch() {
      if (--runtime_->release_batches_ == 0) runtime_->ReleaseBatchedStacks();
    }
    StackReleaseBatch(const StackReleaseBatch&) = delete;
    StackReleaseBatch& operator=(const StackReleaseBatch&) = delete;

   private:
    Runtime* runtime_;
  };

  void set_owner(void* owner) { owner_ = owner; }
  void* owner() const { return owner_; }

  /// Stacks whose pages below the frames were given back (TrimIdleStacks).
  std::uint64_t trimmed_stacks() const { return trimmed_stacks_; }

 private:
  Runtime(v8::Isolate* isolate, const V8Layout& layout, const IsolateHooks& hooks, const JoinStack& join_stack,
          bool* formatting_stack_trace);
  Fiber* TakeFiber(std::size_t size, std::error_code& error, std::string* message);
  Fiber* NewFiber(BudgetedStack stack);
  void ReleaseFiber(Fiber* fiber);  // back to the pool, or deleted
  void RetireParked(Fiber* fiber);  // lets fiberMain return, then deletes
  void DeleteFiber(Fiber* fiber);
  void ReleaseBatchedStacks();
  static void Entry(std::uintptr_t arg, void* sender_sp);
  // On a suspended fiber that was switched to by CaptureStack rather than
  // resumed: captures, switches back, and waits again, until a real resume.
  __attribute__((noinline, cold)) void ServeCaptures(Coroutine* co);
  void RunFiber(Fiber* fiber);
  inline void SwitchTo(ExecutionContext* target, bool leaving_for_good);
  // Touched pages below an idle fiber's frames, given back after full GCs.
  // A stack keeps resident every page its deepest call ever touched: a
  // generator that once recursed deep, or whose body called into something
  // deep (a socket write goes through a dozen frames), keeps those pages
  // while it waits, though its frames now take a page or two. After each
  // full GC, the fibers that ran in the interval before the last one and
  // not since (idle for a whole interval between full GCs: a waiting
  // connection, not one resumed in a loop) that are suspended or parked
  // give back their pages more than kTrimSlackPages below their stack
  // pointer, where nothing lives; what they touch again reads as zeros.
  // The ranges go in one batch (BudgetedStack::DropPages); where the
  // kernel takes one madvise each, a mincore first (is the page just below
  // the slack resident?) skips the many that never went deeper. Only fibers
  // that ran are visited: those on the two interval lists (ran_lists_),
  // which a resume moves a fiber to, so a GC with many generators suspended
  // and idle pays nothing here.
  static void AfterFullGc(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags, void* data);
  void TrimIdleStacks();
  __attribute__((noinline)) void NoteRan(Fiber* fiber);
  static void Unlink(RanLink* link);

  v8::Isolate* isolate_;
  V8Switch v8_;  // before root_: contexts hold its filter
  JoinStack join_stack_;
  v8::Global<v8::Context> home_context_;  // where fringe was loaded: its join stack is checked
  v8::MicrotaskQueue* default_microtasks_ = nullptr;  // the main context's queue
  ExecutionContext root_;
  ExecutionContext* current_;
  std::size_t fibers_ = 0;    // live fibers: suspended, running, pooled
  std::vector<Fiber*> pool_;  // default-size fibers free for the next generator: parked or never started
  std::size_t pool_limit_ = 64;
  int release_batches_ = 0;                    // StackReleaseBatch scopes open
  std::vector<BudgetedStack> batched_stacks_;  // stacks of fibers deleted inside them
  static constexpr std::size_t kReleaseBatch = 1024;
  std::int64_t accounted_bytes_;  // per fiber reported in full (kAccountedBytes...)
  std::size_t accounted_full_;    // fibers reported in full: kExternalGrowthForGc / accounted_bytes_
  Coroutine* collected_ = nullptr;
  std::vector<Coroutine*> all_;  // every coroutine not yet deleted
  static constexpr std::size_t kFreeCoroutines = 1024;
  std::vector<Coroutine*> free_coroutines_;  // memory of deleted ones, for reuse
  v8::Global<v8::Function> fiber_main_;  // lib's loop that runs bodies
  void* owner_ = nullptr;
  static constexpr std::size_t kTrimSlackPages = 1;
  std::uint32_t interval_ = 1;  // full GCs so far, plus one (Fiber::ran_interval 0: never ran)
  RanLink ran_lists_[2];        // circular, by interval parity: the fibers that ran last in it
  std::uint64_t trimmed_stacks_ = 0;
};

// --- The switch, inlined into its callers -----------------------------------
//
// Nothing may stay called across the machine-stack swap: the processor's
// return-address predictor holds the call chain of the stack that was left,
// and every `ret` taken on the new stack that was called before the swap
// mispredicts. So the swap is inlined all the way into the API callbacks
// (binding_generators.cc); the only return left to mispredict is theirs.

__attribute__((always_inline)) inline void Runtime::SwitchTo(ExecutionContext* target, bool leaving_for_good) {
  ExecutionContext* from = current_;
  v8_.Switch(from, target, leaving_for_good);
  current_ = target;

  arch::Transfer back;
  if (target != &root_ && static_cast<Fiber*>(target)->coroutine->resumer == from) {
    // Resuming: splice the generator's call stack onto ours for debuggers.
    back = arch::swap_link(reinterpret_cast<std::uintptr_t>(from), target->sp, static_cast<Fiber*>(target)->link);
  } else {
    back = arch::swap(reinterpret_cast<std::uintptr_t>(from), target->sp);
  }
  // Something switched back to `from`: remember where it stopped.
  reinterpret_cast<ExecutionContext*>(back.arg)->sp = back.sp;
}

__attribute__((always_inline)) inline void Runtime::Resume(Coroutine* co, ResumeMode mode, v8::Local<v8::Value> input,
                                                           const v8::FunctionCallbackInfo<v8::Value>& call) {
  co->mode = mode;
  co->in = input;
  co->resume_call = &call;
  co->resumer = current_;
  co->state = CoroutineState::kRunning;
  co->join_base = join_stack_.Depth(home_context_);
  co->resumed_in_microtasks = default_microtasks_ != nullptr && default_microtasks_->IsRunningMicrotasks();
  if (__builtin_expect(co->fiber->ran_interval != interval_, 0)) NoteRan(co->fiber);
  SwitchTo(co->fiber, false);
  co->resumer = nullptr;
  co->resume_call = nullptr;
  // A finished coroutine whose fiber could not park still holds it: Delete()
  // releases it (or gives the stack back to its OsStack).
}

__attribute__((always_inline)) inline void Runtime::Suspend(v8::Local<v8::Value> value) {
  Coroutine* co = static_cast<Fiber*>(current_)->coroutine;
  co->out = value;
  co->outcome = Outcome::kYielded;
  co->state = CoroutineState::kSuspended;
  SwitchTo(co->resumer, false);
  // Woken by CaptureStack rather than by a resume: serve it, and wait again.
  if (__builtin_expect(co->capture != nullptr, 0)) ServeCaptures(co);
}

__attribute__((always_inline)) inline Coroutine* Runtime::Park() {
  auto* fiber = static_cast<Fiber*>(current_);
  Coroutine* co = fiber->coroutine;
  ExecutionContext* resumer = co->resumer;
  if (fiber->box != nullptr || fiber->stack.size() != kDefaultStackSize || pool_.size() >= pool_limit_) {
    return nullptr;  // fiberMain returns; the resumer deletes the fiber
  }
  co->fiber = nullptr;
  fiber->coroutine = nullptr;
  pool_.push_back(fiber);
  SwitchTo(resumer, false);
  // A new generator has taken this fiber and resumed it -- or the pool let
  // it go (RetireParked).
  Coroutine* next = fiber->coroutine;
  return next->retiring ? nullptr : next;
}

}  // namespace fringe

#endif  // FRINGE_ADDON_RUNTIME_H
