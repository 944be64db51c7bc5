// The V8 half of a coroutine switch, behind one interface: Runtime
// (native/addon/runtime.h) schedules fibers and coroutines, and asks this
// unit to "archive the running context's V8 state and make the target's
// current" (V8Switch::Switch); everything it writes inside V8 is here.
//
// Per execution context (V8Context): its archived V8 thread
// (v8_thread_state.h), and the values that follow the running stack --
// V8's stack limits, cppgc's conservative-scan start and V8's thread-local
// copy of it, Isolate::stack_size_, and Isolate::formatting_stack_trace_
// (stack_trace_flag.h). Per isolate (V8Switch): the verified hooks
// (isolate_hooks.h), the scavenge filter and the continuation-data guard
// that keep GCs right with many archived threads.

#ifndef FRINGE_V8_V8_SWITCH_H
#define FRINGE_V8_V8_SWITCH_H

#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "v8/continuation_data_guard.h"
#include "v8/isolate_hooks.h"
#include "v8/scavenge_filter.h"
#include "v8/v8_thread_state.h"

namespace fringe {

class V8Switch;

/// The V8 state of one execution context: the OS thread's own stack or a
/// fiber's.
struct V8Context {
  V8Context(V8Switch& v8, bool is_fiber);
  V8ThreadState v8_state;             // this context's V8 state while it is not running
  std::uintptr_t js_limit = 0;        // V8's stack limit while it runs
  const void* stack_start = nullptr;  // cppgc's conservative scan start while it runs
  std::size_t v8_stack_size = 0;      // Isolate::stack_size_ while it runs
  bool formatting_stack_trace = false;  // Isolate::formatting_stack_trace_ while it runs (stack_trace_flag.h)
};

class V8Switch {
 public:
  /// StackGuard's kInterruptLimit (stack-guard.h): the value jslimit_ holds
  /// while an interrupt is requested.
  static constexpr std::uintptr_t kInterruptLimit = ~std::uintptr_t{1};

  /// `hooks` verified for `isolate` (IsolateHooks::Bind); `formatting_stack_trace`
  /// found by StackTraceFlag.
  V8Switch(v8::Isolate* isolate, const V8Layout& layout, const IsolateHooks& hooks, bool* formatting_stack_trace);
  ~V8Switch();
  V8Switch(const V8Switch&) = delete;
  V8Switch& operator=(const V8Switch&) = delete;

  const V8Layout& layout() const { return layout_; }
  const IsolateHooks& hooks() const { return hooks_; }
  /// Whether fibers' first handle blocks live in their stacks (InitStack).
  bool handle_blocks_in_stacks() const { return handle_block_reserve_ != 0; }
  ScavengeFilter* filter() { return &filter_; }
  const ScavengeFilter& filter() const { return filter_; }

  /// The OS thread's own context, which is running: its values are V8's.
  void InitThread(V8Context* thread);
  /// A fiber's context on the stack [limit, base): JavaScript may use it
  /// down to `js_limit`. Returns where the fiber's frames start: below its
  /// first handle block, which takes the top of the stack (V8ThreadState),
  /// or `base` where V8's handle blocks were not measured.
  void* InitStack(V8Context* fiber, void* base, std::uintptr_t js_limit, std::size_t size);

  /// Archives `from` (the running context; not when it is leaving for
  /// good), then makes `target` current: restored, or started fresh (a
  /// fiber about to run its first body), with the stack-bound values set
  /// for its stack. The caller swaps machine stacks right after.
  __attribute__((always_inline)) inline void Switch(V8Context* from, V8Context* target, bool leaving_for_good);

  /// Whether a debugger event (a break, an evaluation on a paused frame, a
  /// script-compiled or exception event) is being handled on this stack.
  bool in_debug_scope() const { return *hooks_.debug_scope != nullptr; }
  /// Whether a debugger's step survives a switch (V8ThreadState::RestoreDebugging).
  bool debug_stepping() const { return hooks_.debug_last_step_action != nullptr; }
  /// Whether a debugger is attached (V8's Debug::is_active_).
  bool debug_active() const { return *hooks_.debug_is_active; }
  /// A word in which every switch made while a debugger is attached sets
  /// `bit`, so that the embedder learns of the debugger without asking at
  /// every switch (lib tags resumes for the inspector's async stacks).
  void set_debugger_signal(std::int32_t* word, std::int32_t bit) {
    debugger_signal_ = word;
    debugger_signal_bit_ = bit;
  }

 private:
  __attribute__((always_inline)) inline void SetStackLimit(std::uintptr_t limit);
  void StartFresh(V8Context* fiber);
  static void CheckStackStart(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data);

  v8::Isolate* isolate_;
  const V8Layout& layout_;
  IsolateHooks hooks_;
  ScavengeFilter filter_;
  ContinuationDataGuard continuation_guard_;  // see continuation_data_guard.h
  bool* formatting_stack_trace_;  // Isolate::formatting_stack_trace_ (stack_trace_flag.h)
  std::int32_t* debugger_signal_ = nullptr;  // see set_debugger_signal
  std::int32_t debugger_signal_bit_ = 0;
  V8Context* current_ = nullptr;
  // A fresh ThreadLocalTop as Isolate::InitializeThreadLocal leaves it, for
  // this thread; copied in when a fiber starts a new body.
  std::unique_ptr<char[]> pristine_tlt_;
  // Bytes at the top of each fiber's stack for its first handle block, 0
  // when its blocks are V8's (see InitStack).
  std::size_t handle_block_reserve_ = 0;
};

inline V8Context::V8Context(V8Switch& v8, bool is_fiber)
    : v8_state(v8.layout(), v8.hooks(), v8.filter(), is_fiber) {}

// --- The switch, inlined into its callers -----------------------------------
//
// Inlined all the way into the API callbacks with the machine-stack swap
// (runtime.h): nothing may stay called across the swap.

// StackGuard::SetStackLimit without its mutex. jslimit_/climit_ double as
// the interrupt flag: a thread requesting an interrupt (GC, optimized code to
// install, termination, ...) sets interrupt_flags_ and then stores
// kInterruptLimit into jslimit_ and climit_, in that order, under V8's mutex.
//   * real_jslimit_/real_climit_ are only written by this thread: plain stores.
//   * jslimit_ is what JavaScript's stack checks read, so a concurrent
//     request must never be lost: it is swapped atomically, and if the swap
//     finds kInterruptLimit the request is put back. (One locked instruction
//     per switch: they cost more than everything else in the update.)
//   * climit_ is only read by C++ loops that poll for interrupts. It is
//     replaced with a plain store when it holds the old real limit; should
//     that overwrite a request in flight, jslimit_ still carries it (it is
//     stored first), and V8 resets both when it handles the interrupt.
__attribute__((always_inline)) inline void V8Switch::SetStackLimit(std::uintptr_t limit) {
  std::uintptr_t old_c = *hooks_.real_climit;
  *hooks_.real_jslimit = limit;
  *hooks_.real_climit = limit;
  std::uintptr_t previous = __atomic_exchange_n(hooks_.jslimit, limit, __ATOMIC_RELAXED);
  if (previous == kInterruptLimit) __atomic_store_n(hooks_.jslimit, kInterruptLimit, __ATOMIC_RELAXED);
  if (__atomic_load_n(hooks_.climit, __ATOMIC_RELAXED) == old_c) {
    __atomic_store_n(hooks_.climit, limit, __ATOMIC_RELAXED);
  }
}

__attribute__((always_inline)) inline void V8Switch::Switch(V8Context* from, V8Context* target,
                                                            bool leaving_for_good) {
  // The limit first: its locked exchange must wait for every store before it
  // to drain, and the copies below are hundreds of bytes of stores. (With a
  // debugger attached, Debug::RestoreDebug runs C++ stack checks on this
  // stack, so the limit changes after it instead.)
  const bool debugging = *hooks_.debug_is_active;
  if (!debugging) SetStackLimit(target->js_limit);
  if (!leaving_for_good) from->v8_state.Archive(debugging);
  // Every context that has run is archived while another one runs; a fiber
  // about to start a new body is not.
  if (target->v8_state.archived()) {
    target->v8_state.Restore(debugging);
  } else {
    StartFresh(target);
  }
  if (debugging) {
    SetStackLimit(target->js_limit);
    if (debugger_signal_ != nullptr) *debugger_signal_ |= debugger_signal_bit_;
  }
  // After Restore: restoring Debug state may reset the stack start. V8's
  // own idea of "the thread's stack" follows the running stack too.
  *hooks_.stack_start = target->stack_start;
  *hooks_.stack_start_tls = target->stack_start;
  *hooks_.stack_size = target->v8_stack_size;
  // Error.prepareStackTrace's re-entrancy flag belongs to the stack that set it.
  from->formatting_stack_trace = *formatting_stack_trace_;
  *formatting_stack_trace_ = target->formatting_stack_trace;
  current_ = target;
}

}  // namespace fringe

#endif  // FRINGE_V8_V8_SWITCH_H
