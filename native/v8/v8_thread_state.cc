// See v8_thread_state.h.

#include "v8/v8_thread_state.h"

#include <utility>

namespace fringe {

namespace detail {

namespace {
template <std::size_t... N>
CopyFunction Find(std::size_t size, std::index_sequence<N...>) {
  CopyFunction found = nullptr;
  ((size == (N + 1) * 8 ? (found = &CopyFixed<(N + 1) * 8>, 0) : 0), ...);
  return found;
}
}  // namespace

// Sizes up to 1 KiB in whole words; V8Layout refuses anything else.
CopyFunction SelectCopy(std::size_t size) { return Find(size, std::make_index_sequence<128>()); }

}  // namespace detail

V8ThreadState::V8ThreadState(const V8Layout& layout, const IsolateHooks& hooks, ScavengeFilter* filter,
                             bool owns_implementer)
    : layout_(layout), hooks_(hooks), filter_(filter) {
  // V8's ThreadState fields, then fringe's mark and a pointer back to this.
  const std::size_t header_size = (layout.thread_state_size + 2 * sizeof(void*) + 15) & ~std::size_t{15};
  memory_.reset(new char[header_size + layout.archive_size]());
  blob_ = memory_.get() + header_size;
  tlt_ = blob_ + layout.hsi_size;
  relocatable_ = reinterpret_cast<void**>(tlt_ + layout.tlt_size);
  debug_ = reinterpret_cast<char*>(relocatable_) + layout.relocatable_size + layout.stack_guard_size;
  home_ = owns_implementer ? blob_ : hooks.hsi;
  copy_hsi_ = detail::SelectCopy(layout.hsi_size);
  copy_handle_scope_data_ = detail::SelectCopy(layout.handle_scope_data_size);
  copy_debug_ = detail::SelectCopy(layout.debug_size);
  using detail::Field;
  Field(header(), layout.thread_state_data) = blob_;
  Field(header(), layout.thread_state_thread_manager) = static_cast<char*>(hooks.thread_manager);
  Field(header(), layout.thread_state_next) = header();
  Field(header(), layout.thread_state_previous) = header();
  *reinterpret_cast<std::uintptr_t*>(header() + layout.thread_state_size) = ScavengeFilter::magic();
  *reinterpret_cast<ScavengeFilter::Age**>(header() + layout.thread_state_size + sizeof(void*)) = &age_;
}

V8ThreadState::~V8ThreadState() {
  if (linked_) Unlink();
  FreeImplementer();
}

void V8ThreadState::Discard() {
  // Only an archived context has its scopes' state saved in the blob.
  if (!linked_) return;
  Unlink();
  FreeHandleBlocks();
}

// A context abandoned with handle scopes open (a generator still suspended,
// or a fiber parked in the pool, when its isolate goes away) still owns
// handle blocks, and V8 frees blocks
// only as scopes close: HandleScopeImplementer::FreeThreadResources frees its
// vectors and its spare block, not the blocks in use (a few KiB per
// generator, lost with every worker that ends with generators suspended).
// So the scopes are closed the way V8 closes them: with this implementer
// current, an outermost HandleScope opened at a null limit is closed at the
// context's limit, and V8 (DeleteExtensions) frees every block but the last,
// which becomes the spare that FreeImplementer() frees (or, when it is the
// fiber's own block in its stack, takes back).
void V8ThreadState::FreeHandleBlocks() {
  if (!implementer_ready_ || home_ != blob_) return;
  char* saved = blob_ + layout_.hsi_handle_scope_data;
  void* limit = *reinterpret_cast<void**>(saved + sizeof(void*));  // HandleScopeData::limit
  alignas(16) char running[256];
  if (limit == nullptr || layout_.handle_scope_data_size > sizeof running) return;
  void* running_implementer = *hooks_.hsi_field;
  copy_handle_scope_data_(running, hooks_.handle_scope_data);
  *hooks_.hsi_field = home_;
  std::memset(hooks_.handle_scope_data, 0, layout_.handle_scope_data_size);
  {
    v8::HandleScope scope(static_cast<v8::Isolate*>(hooks_.isolate));
    *reinterpret_cast<void**>(hooks_.handle_scope_data + sizeof(void*)) = limit;
  }
  *hooks_.hsi_field = running_implementer;
  copy_handle_scope_data_(hooks_.handle_scope_data, running);
}

void V8ThreadState::StartFresh(const char* pristine_tlt) {
  if (!implementer_ready_) {
    // A new HandleScopeImplementer, made the way V8 leaves one after
    // archiving a thread: copy the live one, then let ArchiveThread empty the
    // copy (its vectors are detached, not freed) and reset the live
    // HandleScopeData (already saved by the leaving context's Archive()).
    copy_hsi_(home_, *hooks_.hsi_field);
    alignas(16) char scratch[1088];  // V8Layout checked hsi_size <= 1024
    layout_.hsi_archive(home_, scratch);
    implementer_ready_ = true;
  } else {
    // The implementer of the fiber's last body: every handle scope closed,
    // its blocks and vectors kept for reuse. Only the live data is reset
    // (HandleScopeData::Initialize: all fields zero).
    std::memset(hooks_.handle_scope_data, 0, layout_.handle_scope_data_size);
  }
  // The first block: ours again, when the last body left it as the spare;
  // never taken over a block of V8's (none is the spare while ours is free).
  if (own_block_ != nullptr && Spare() == nullptr) Spare() = own_block_;
  *hooks_.hsi_field = home_;
  if (pristine_tlt != nullptr) {
    std::memcpy(hooks_.tlt, pristine_tlt, v8::internal::Internals::kThreadLocalTopSize);
  } else {
    layout_.isolate_init_thread(hooks_.isolate);
  }
  layout_.debug_thread_init(hooks_.debug);
  // Archive() of the leaving context cleared the Relocatable top.
}

// With a debugger attached, V8 re-arms the step that was in progress when
// this context was archived (its per-thread stepping, as for v8::Locker
// threads): Debug::RestoreDebug walks this stack's frames down to the step's
// target depth, `while (current_frame_count > target_frame_count_)`, then
// prepares the step there. A step-into has no target depth (and a step-out
// has none when there was no caller to return to): target_frame_count_ is -1,
// the walk runs past the bottom frame and dereferences null. (A V8 bug that
// Locker threads would hit too; fringe hits it whenever a debugger steps into
// suspend() or resume().) For such a step the walk is made to stop at the top
// frame -- where PrepareStep starts a step-into anyway -- and the target goes
// back to -1 afterwards, unless PrepareStep set a real one.
void V8ThreadState::RestoreDebugging() {
  if (debug_stale_) {
    // Archived before the debugger attached: the defaults, as for a body
    // that starts now (the live bytes are the leaving context's, already
    // saved; Debug::ThreadInit also recomputes the function-call hook).
    layout_.debug_thread_init(hooks_.debug);
    copy_debug_(debug_, hooks_.debug_thread_local);
    debug_stale_ = false;
  }
  if (hooks_.debug_last_step_action == nullptr) {
    // Stepping fields unknown on this V8: a plain copy never walks the stack
    // (a step in progress is then not re-armed on this stack).
    copy_debug_(hooks_.debug_thread_local, debug_);
    return;
  }
  constexpr std::int8_t kStepNone = -1;
  constexpr std::int32_t kNoTarget = 0x7fffffff;  // no frame count exceeds it
  auto* step = reinterpret_cast<const std::int8_t*>(debug_ + layout_.debug_last_step_action);
  auto* target = reinterpret_cast<std::int32_t*>(debug_ + layout_.debug_target_frame_count);
  const bool untargeted = *step != kStepNone && *target < 0;
  const std::int32_t saved = *target;
  if (untargeted) *target = kNoTarget;
  layout_.debug_restore(hooks_.debug, debug_);
  if (untargeted) {
    *target = saved;
    if (*hooks_.debug_target_frame_count == kNoTarget) *hooks_.debug_target_frame_count = saved;
  }
}

void V8ThreadState::FreeImplementer() {
  if (implementer_ready_ && home_ == blob_) {
    // Every scope is closed, so our block, if V8 took it, is the spare:
    // taken back, FreeThreadResources frees only what V8 allocated.
    if (own_block_ != nullptr && Spare() == own_block_) Spare() = nullptr;
    layout_.hsi_free(home_);
  }
  implementer_ready_ = false;
}

}  // namespace fringe
