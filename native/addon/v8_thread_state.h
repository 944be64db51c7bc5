// One archived V8 "thread": the V8 state of an execution context (the OS
// thread's own stack, or a coroutine) while another one runs.
//
// V8 supports many stacks per isolate through v8::Locker: a thread that
// gives up the isolate is archived into a ThreadState on the ThreadManager's
// in-use list, and
//   * every GC visits the archived threads (Heap::IterateRoots ->
//     ThreadManager::Iterate): their handle blocks, and their stack frames
//     through the archived ThreadLocalTop;
//   * the deoptimizer and the debugger patch and walk archived frames too
//     (ThreadManager::IterateArchivedThreads).
// A coroutine switch is therefore: archive the running context into its
// ThreadState (linked into the in-use list), restore the target's state
// (unlinked), set the stack limit and cppgc's stack start for the target's
// stack, and switch machine stacks.
//
// The archive blob has the layout ThreadManager::Iterate parses:
//   [HandleScopeImplementer][ThreadLocalTop][Relocatable top][StackGuard][Debug]
// What differs from V8's own ThreadManager::EagerlyArchiveThread:
//   * StackGuard is not archived. Its interrupt requests (GC, termination,
//     API interrupts) belong to the OS thread; parked inside a suspended
//     coroutine they would be lost. Only the stack limits change per
//     context (Runtime::SetStackLimit). The blob keeps the StackGuard's
//     bytes so that the parser finds Debug where it expects.
//   * RegExpStack and Bootstrapper are not archived either: both are only
//     in use while a regexp runs or a context is being created, never across
//     a switch (a switch happens only inside suspend()/resume()).
//   * Debug's thread-local bytes are copied directly. Debug::RestoreDebug
//     also walks the stack to re-arm stepping, a quarter of a switch's cost;
//     it is called only while a debugger is attached.
// The ThreadState itself is a stand-in we own, laid out as V8's (data_,
// next_, previous_, thread_manager_ at offsets decoded from V8's code), so
// no V8 allocation is involved and V8 never frees it.

#ifndef FRINGE_ADDON_V8_THREAD_STATE_H
#define FRINGE_ADDON_V8_THREAD_STATE_H

#include <cstddef>
#include <memory>

#include "v8_layout.h"

namespace fringe {

class V8ThreadState {
 public:
  V8ThreadState(const V8Layout& layout, const IsolateHooks& hooks);
  V8ThreadState(const V8ThreadState&) = delete;
  V8ThreadState& operator=(const V8ThreadState&) = delete;
  ~V8ThreadState();

  /// Saves the running context's V8 state here and links this state into the
  /// in-use list. Leaves the live handle-scope state empty.
  void Archive();
  /// Makes the state saved here the running one and unlinks it.
  void Restore();
  bool archived() const { return linked_; }
  /// Unlinks without restoring: the context is abandoned (isolate teardown).
  void Discard();

  /// Gives the running thread fresh V8 state, as for a new thread. Call
  /// right after Archive() of the context that is leaving.
  static void InitializeFresh(const V8Layout& layout, const IsolateHooks& hooks);
  /// Frees the running context's handle-scope memory: the context is done
  /// and its state will be overwritten by the next Restore().
  static void FreeRunning(const V8Layout& layout, const IsolateHooks& hooks);

 private:
  char* field(std::ptrdiff_t offset) const { return memory_.get() + offset; }
  void Link();
  void Unlink();

  const V8Layout& layout_;
  const IsolateHooks& hooks_;
  std::unique_ptr<char[]> memory_;  // the ThreadState stand-in, then the blob
  char* blob_;
  bool linked_ = false;
};

}  // namespace fringe

#endif  // FRINGE_ADDON_V8_THREAD_STATE_H
