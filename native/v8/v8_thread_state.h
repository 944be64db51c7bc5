// One archived V8 "thread": the V8 state of an execution context (the OS
// thread's own stack, or a fiber) while another one runs.
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
//   * Each fiber's HandleScopeImplementer lives in its blob (kept from one
//     body to the next), and the isolate's pointer to the implementer is
//     switched instead of copying the object back and forth; only the live
//     HandleScopeData (next, limit, level) is saved and restored. The OS
//     thread keeps V8's own implementer (scopes on its stack, like
//     MicrotaskQueue's EnteredContextRewindScope, hold its address); while
//     it is archived, a copy sits in its blob.
//   * StackGuard is not archived. Its interrupt requests (GC, termination,
//     API interrupts) belong to the OS thread; parked inside a suspended
//     coroutine they would be lost. Only the stack limits change per
//     context (Runtime::SetStackLimit). The blob keeps the StackGuard's
//     bytes so that the parser finds Debug where it expects.
//   * RegExpStack and Bootstrapper are not archived either: both are only
//     in use while a regexp runs or a context is being created, never across
//     a switch (a switch happens only inside suspend()/resume()).
//   * Debug's thread-local bytes (stepping, the break frame, the current
//     DebugScope, a step's return value) are per context only while a
//     debugger is attached: the debugger is their only writer, and without
//     one they hold the defaults Debug::ThreadInit set or what the last
//     debugger session left (Debug::Unload clears its stepping). So they are
//     copied only while a debugger is attached (Archive/Restore take
//     `debugging`, V8's Debug::is_active_): copying 2 x 88 bytes cost 13% of
//     a JavaScript round trip, far above their size. A context archived
//     without a debugger has no copy (debug_stale_; the blob's bytes are
//     zero, so GCs find no pointers there); restored with a debugger
//     attached, it gets what a context that never saw the debugger has:
//     ThreadInit's defaults. Restored without one, the live bytes stay.
//     Debug::RestoreDebug also walks the stack to re-arm stepping, a quarter
//     of a switch's cost; it is called only while a debugger is attached
//     (RestoreDebugging).
//   * A fiber's first handle block is in its stack, not V8's heap (when
//     IsolateHooks measured HandleScopeImplementer::spare_): the fiber's
//     implementer starts with that block as its spare, so the handles a
//     body holds share a page with its first frames (V8Switch::InitStack).
//     A suspended shallow generator then touches one page of stack and no
//     8 KiB malloc block of V8's (RSS 9.8 -> 5.6 KiB, one page fault less).
//     V8 pushes blocks only through GetSpareOrNewBlock (HandleScope::Extend,
//     PersistentHandlesScope), which takes the spare first, so the block is
//     always blocks_[0]; popped last (DeleteExtensions), it becomes the
//     spare again, after any other spare was freed. V8 (11.3 to 15.2) frees
//     a spare when another block is popped, which cannot happen while ours
//     is the spare (blocks_ is then empty); in FreeThreadResources, which
//     FreeImplementer() calls with the spare taken back, and which an
//     outermost v8::Locker's destructor calls on the live implementer; and
//     in ~HandleScopeImplementer. The last two only ever meet V8's own
//     implementer: a fiber's is live only while the fiber runs JavaScript,
//     inside RunFiber's HandleScope, and V8 never deletes it. A
//     PersistentHandlesScope (compile jobs) opened while blocks_ is empty
//     would carry the spare off into a PersistentHandles that frees it; no
//     JavaScript runs on a fiber before RunFiber's scope holds a handle, so
//     blocks_ is not empty there. Blocks a body needs beyond the first are
//     V8's, and V8 frees them as usual. (No release build of Node zaps
//     released handle blocks; a debug one would, while they are ours.)
// The ThreadState itself is a stand-in we own, laid out as V8's (data_,
// next_, previous_, thread_manager_ at offsets decoded from V8's code), so
// no V8 allocation is involved and V8 never frees it.

#ifndef FRINGE_V8_V8_THREAD_STATE_H
#define FRINGE_V8_V8_THREAD_STATE_H

#include <v8.h>

#include <cstddef>
#include <cstring>
#include <memory>

#include "v8/scavenge_filter.h"
#include "v8/isolate_hooks.h"

namespace fringe {

namespace detail {
inline char*& Field(char* base, std::ptrdiff_t offset) { return *reinterpret_cast<char**>(base + offset); }

// Copies of sizes that V8 fixes at build time and fringe learns at load
// time: a fully unrolled copy per size, chosen once (CopyFunction), instead
// of a loop on every switch.
using CopyFunction = void (*)(void* to, const void* from);
template <std::size_t N>
void CopyFixed(void* to, const void* from) {
  __builtin_memcpy(to, from, N);
}
CopyFunction SelectCopy(std::size_t size);
}  // namespace detail

class V8ThreadState {
 public:
  /// `owns_implementer`: a fiber (its HandleScopeImplementer lives here);
  /// false for the OS thread's own context, which keeps V8's.
  V8ThreadState(const V8Layout& layout, const IsolateHooks& hooks, ScavengeFilter* filter, bool owns_implementer);
  V8ThreadState(const V8ThreadState&) = delete;
  V8ThreadState& operator=(const V8ThreadState&) = delete;
  ~V8ThreadState();

  /// Saves the running context's V8 state here and links this state into the
  /// in-use list. `debugging`: a debugger is attached (Debug::is_active_).
  __attribute__((always_inline)) inline void Archive(bool debugging);
  /// Makes the state saved here the running one and unlinks it.
  __attribute__((always_inline)) inline void Restore(bool debugging);
  bool archived() const { return linked_; }
  /// Unlinks without restoring, and frees the handle blocks its open scopes
  /// hold: the context is abandoned (isolate teardown). Only while it is not
  /// the running context.
  void Discard();

  /// Gives the running thread fresh V8 state to start a new body with. Call
  /// right after Archive() of the context that is leaving. `pristine_tlt` is a
  /// ThreadLocalTop as Isolate::InitializeThreadLocal leaves it, or null to
  /// have V8 initialize it.
  void StartFresh(const char* pristine_tlt);
  /// Frees this fiber's handle-scope memory (its implementer keeps it from
  /// one body to the next). Only while it is not the running context.
  void FreeImplementer();
  /// Makes `block` (IsolateHooks::handle_block_bytes of memory the fiber
  /// owns, which outlives this implementer's use of it) the first handle
  /// block of every body this fiber runs. Before the first StartFresh().
  void set_own_handle_block(void* block) { own_block_ = block; }

 private:
  char* header() const { return memory_.get(); }
  void RestoreDebugging();
  inline void Link();
  inline void Unlink();
  void FreeHandleBlocks();
  void*& Spare() const { return *reinterpret_cast<void**>(static_cast<char*>(home_) + hooks_.hsi_spare); }

  const V8Layout& layout_;
  const IsolateHooks& hooks_;
  ScavengeFilter* filter_;
  std::unique_ptr<char[]> memory_;  // the ThreadState stand-in, then the blob
  char* blob_;
  char* tlt_;      // in the blob
  void** relocatable_;
  char* debug_;
  void* home_;     // this context's HandleScopeImplementer
  bool implementer_ready_ = false;  // a fiber's implementer has been made
  void* own_block_ = nullptr;       // its first handle block, in its stack; null: all are V8's
  detail::CopyFunction copy_hsi_;
  detail::CopyFunction copy_handle_scope_data_;
  detail::CopyFunction copy_debug_;
  bool linked_ = false;
  // The blob's Debug bytes were not saved by the last Archive() (no debugger
  // then): they are all zero, which every GC reads as Smi zero. Starts true:
  // the blob starts zeroed.
  bool debug_stale_ = true;
  ScavengeFilter::Age age_;  // the filter's, found through the header
};

// --- The hot path ---------------------------------------------------------



inline void V8ThreadState::Link() {
  // ThreadState::LinkInto(IN_USE_LIST): insert right after the anchor.
  using detail::Field;
  char* self = header();
  char* anchor = hooks_.in_use_anchor;
  char* next = Field(anchor, layout_.thread_state_next);
  Field(self, layout_.thread_state_next) = next;
  Field(self, layout_.thread_state_previous) = anchor;
  Field(anchor, layout_.thread_state_next) = self;
  Field(next, layout_.thread_state_previous) = self;
  linked_ = true;
  age_ = ScavengeFilter::Age();
}

inline void V8ThreadState::Unlink() {
  using detail::Field;
  char* self = header();
  char* next = Field(self, layout_.thread_state_next);
  char* previous = Field(self, layout_.thread_state_previous);
  Field(next, layout_.thread_state_previous) = previous;
  Field(previous, layout_.thread_state_next) = next;
  filter_->OnUnlink(self, next, age_.settled);
  linked_ = false;
  age_.settled = false;
}

inline void V8ThreadState::Archive(bool debugging) {
  // HandleScopeImplementer::ArchiveThread without the copy: the live
  // HandleScopeData goes into this context's implementer in the blob (for a
  // coroutine the blob's implementer is its only one; the OS thread's is
  // copied there first).
  if (home_ != blob_) copy_hsi_(blob_, home_);
  copy_handle_scope_data_(blob_ + layout_.hsi_handle_scope_data, hooks_.handle_scope_data);
  std::memcpy(tlt_, hooks_.tlt, v8::internal::Internals::kThreadLocalTopSize);
  *relocatable_ = *hooks_.relocatable_top;
  *hooks_.relocatable_top = nullptr;
  // Without a debugger the bytes are not saved, and the blob is zeroed once
  // when it goes stale: GCs visit its tagged slots (return_value_,
  // suspended_generator_, ...) whenever it is linked, but do not update them
  // while it is not, so a stale copy of a heap pointer could be left
  // pointing where the object no longer is.
  if (debugging) {
    copy_debug_(debug_, hooks_.debug_thread_local);
  } else if (!debug_stale_) {
    std::memset(debug_, 0, layout_.debug_size);
  }
  debug_stale_ = !debugging;
  Link();
}

inline void V8ThreadState::Restore(bool debugging) {
  Unlink();
  *hooks_.hsi_field = home_;
  copy_handle_scope_data_(hooks_.handle_scope_data, blob_ + layout_.hsi_handle_scope_data);
  std::memcpy(hooks_.tlt, tlt_, v8::internal::Internals::kThreadLocalTopSize);
  *hooks_.relocatable_top = *relocatable_;
  if (debugging) RestoreDebugging();
}

}  // namespace fringe

#endif  // FRINGE_V8_V8_THREAD_STATE_H
