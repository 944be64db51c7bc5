// See v8_switch.h.

#include "v8/v8_switch.h"

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
  isolate_->AddGCPrologueCallback(&CheckStackStart, this);
}

V8Switch::~V8Switch() { isolate_->RemoveGCPrologueCallback(&CheckStackStart, this); }

void V8Switch::InitThread(V8Context* thread) {
  thread->js_limit = *hooks_.real_jslimit;
  thread->stack_start = hooks_.thread_stack_start;
  thread->v8_stack_size = *hooks_.stack_size;
  current_ = thread;
}

void V8Switch::InitStack(V8Context* fiber, void* base, std::uintptr_t js_limit, std::size_t size) {
  fiber->js_limit = js_limit;
  fiber->stack_start = base;
  fiber->v8_stack_size = size;
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
