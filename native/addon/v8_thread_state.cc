// See v8_thread_state.h.

#include "v8_thread_state.h"

#include <cstring>

namespace fringe {

namespace {

char*& Pointer(char* base, std::ptrdiff_t offset) { return *reinterpret_cast<char**>(base + offset); }

}  // namespace

V8ThreadState::V8ThreadState(const V8Layout& layout, const IsolateHooks& hooks)
    : layout_(layout), hooks_(hooks) {
  const std::size_t header = (layout.thread_state_size + 15) & ~std::size_t{15};
  memory_.reset(new char[header + layout.archive_size]());
  blob_ = memory_.get() + header;
  Pointer(memory_.get(), layout.thread_state_data) = blob_;
  Pointer(memory_.get(), layout.thread_state_thread_manager) = static_cast<char*>(hooks.thread_manager);
  Pointer(memory_.get(), layout.thread_state_next) = memory_.get();
  Pointer(memory_.get(), layout.thread_state_previous) = memory_.get();
}

V8ThreadState::~V8ThreadState() {
  if (linked_) Unlink();
}

void V8ThreadState::Link() {
  // ThreadState::LinkInto(IN_USE_LIST): insert right after the anchor.
  char* self = memory_.get();
  char* anchor = hooks_.in_use_anchor;
  char* next = Pointer(anchor, layout_.thread_state_next);
  Pointer(self, layout_.thread_state_next) = next;
  Pointer(self, layout_.thread_state_previous) = anchor;
  Pointer(anchor, layout_.thread_state_next) = self;
  Pointer(next, layout_.thread_state_previous) = self;
  linked_ = true;
}

void V8ThreadState::Unlink() {
  char* self = memory_.get();
  char* next = Pointer(self, layout_.thread_state_next);
  char* previous = Pointer(self, layout_.thread_state_previous);
  Pointer(next, layout_.thread_state_previous) = previous;
  Pointer(previous, layout_.thread_state_next) = next;
  Pointer(self, layout_.thread_state_next) = self;
  Pointer(self, layout_.thread_state_previous) = self;
  linked_ = false;
}

void V8ThreadState::Archive() {
  char* to = blob_;
  to = layout_.hsi_archive(hooks_.hsi, to);
  std::memcpy(to, hooks_.tlt, layout_.tlt_size);
  to += layout_.tlt_size;
  *reinterpret_cast<void**>(to) = *hooks_.relocatable_top;
  *hooks_.relocatable_top = nullptr;
  to += layout_.relocatable_size;
  // StackGuard: left live (see the header); its bytes here are never read.
  to += layout_.stack_guard_size;
  std::memcpy(to, hooks_.debug_thread_local, layout_.debug_size);
  Link();
}

void V8ThreadState::Restore() {
  Unlink();
  char* from = blob_;
  from = layout_.hsi_restore(hooks_.hsi, from);
  std::memcpy(hooks_.tlt, from, layout_.tlt_size);
  from += layout_.tlt_size;
  *hooks_.relocatable_top = *reinterpret_cast<void**>(from);
  from += layout_.relocatable_size;
  from += layout_.stack_guard_size;
  if (*hooks_.debug_is_active) {
    // With a debugger attached, let V8 re-arm stepping for this stack.
    layout_.debug_restore(hooks_.debug, from);
  } else {
    std::memcpy(hooks_.debug_thread_local, from, layout_.debug_size);
  }
}

void V8ThreadState::Discard() {
  if (linked_) Unlink();
}

void V8ThreadState::InitializeFresh(const V8Layout& layout, const IsolateHooks& hooks) {
  // The handle-scope state is already empty (HandleScopeImplementer's
  // archiver leaves it so) and Archive() cleared the Relocatable top.
  layout.isolate_init_thread(hooks.isolate);
  layout.debug_thread_init(hooks.debug);
}

void V8ThreadState::FreeRunning(const V8Layout& layout, const IsolateHooks& hooks) {
  layout.hsi_free(hooks.hsi);
}

}  // namespace fringe
