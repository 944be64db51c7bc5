// See v8_switch.h.

#include "v8/v8_switch.h"

#include <unistd.h>

#include <cstring>

namespace fringe {

V8Switch::V8Switch(v8::Isolate* isolate, const V8Layout& layout, const IsolateHooks& hooks,
                   bool* formatting_stack_trace)
    : isolate_(isolate),
      layout_(layout),
      hooks_(hooks),
      filter_(isolate, layout, hooks_),
      continuation_guard_(isolate),
      formatting_stack_trace_(formatting_stack_trace) {
  // A fiber's first handle block (V8ThreadState) at the top of its stack,
  // right above its frames, laid out so that both touch one page: the
  // frames of a shallow generator, fiberMain down to suspend(), take about
  // 2.3 KiB (generator[kStackUsage]), so with 4 KiB pages the block starts
  // kHandleRoom bytes below a page's end, room for its first 192 handles
  // (enough for the shallow generators of bench/suites/scale.js: 3.95 KiB
  // of stack resident per generator, one page). Larger pages hold both with
  // the block just under the stack's top.
  constexpr std::size_t kHandleRoom = 1536;
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t block = hooks_.handle_block_bytes;
  if (hooks_.hsi_spare >= 0 && block > kHandleRoom) {
    handle_block_reserve_ = page >= 2 * block ? (block + 15) & ~std::size_t{15}
                                              : kHandleRoom + ((block - kHandleRoom + page - 1) & ~(page - 1));
  }
  isolate_->AddGCPrologueCallback(&CheckStackStart, this);
}

V8Switch::~V8Switch() { isolate_->RemoveGCPrologueCallback(&CheckStackStart, this); }

void V8Switch::InitThread(V8Context* thread) {
  thread->js_limit = *hooks_.real_jslimit;
  thread->stack_start = hooks_.thread_stack_start;
  thread->v8_stack_size = *hooks_.stack_size;
  current_ = thread;
}

void* V8Switch::InitStack(V8Context* fiber, void* base, std::uintptr_t js_limit, std::size_t size) {
  char* frames = static_cast<char*>(base);
  // Only where JavaScript keeps at least as much stack as the block takes
  // (every stack fringe maps does: the smallest leaves 64 KiB above the limit).
  if (handle_block_reserve_ != 0 &&
      reinterpret_cast<std::uintptr_t>(frames) - js_limit >= 2 * handle_block_reserve_) {
    frames -= handle_block_reserve_;
    fiber->v8_state.set_own_handle_block(frames);
  }
  fiber->js_limit = js_limit;
  fiber->stack_start = frames;
  fiber->v8_stack_size = size - static_cast<std::size_t>(static_cast<char*>(base) - frames);
  return frames;
}

void V8Switch::StartFresh(V8Context* fiber) {
  if (pristine_tlt_) {
    fiber->v8_state.StartFresh(pristine_tlt_.get());
  } else {
    fiber->v8_state.StartFresh(nullptr);
    pristine_tlt_.reset(new char[v8::internal::Internals::kThreadLocalTopSize]);
    std::memcpy(pristine_tlt_.get(), hooks_.tlt, v8::internal::Internals::kThreadLocalTopSize);
  }
}

// A backstop for the rule that cppgc's stack start always belongs to the
// running stack: a full GC scans from the stack pointer up to it, and a
// wrong value reads off the end of a mapping.
void V8Switch::CheckStackStart(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<V8Switch*>(data);
  if (*self->hooks_.stack_start != self->current_->stack_start) {
    std::fprintf(stderr, "fringe: cppgc stack start %p does not belong to the running stack (%p)\n",
                 *self->hooks_.stack_start, self->current_->stack_start);
    std::abort();
  }
}

}  // namespace fringe
