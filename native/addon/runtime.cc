// See runtime.h.

#include "runtime.h"

#include <cstdio>
#include <cstdlib>

namespace fringe {

std::unique_ptr<Runtime> Runtime::Create(v8::Isolate* isolate, std::string* error) {
  const V8Layout& layout = V8Layout::Get();
  IsolateHooks hooks;
  if (!IsolateHooks::Bind(isolate, layout, &hooks, error)) return nullptr;
  return std::unique_ptr<Runtime>(new Runtime(isolate, layout, hooks));
}

Runtime::Runtime(v8::Isolate* isolate, const V8Layout& layout, const IsolateHooks& hooks)
    : isolate_(isolate), layout_(layout), hooks_(hooks), root_(this, layout, hooks_, false), current_(&root_) {
  root_.js_limit = *hooks_.real_jslimit;
  root_.stack_start = hooks_.thread_stack_start;
  isolate_->AddGCPrologueCallback(&CheckStackStart, this);
}

Runtime::~Runtime() { isolate_->RemoveGCPrologueCallback(&CheckStackStart, this); }

// A backstop for the rule that cppgc's stack start always belongs to the
// running stack: a full GC scans from the stack pointer up to it, and a
// wrong value reads off the end of a mapping.
void Runtime::CheckStackStart(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<Runtime*>(data);
  if (*self->hooks_.stack_start != self->current_->stack_start) {
    std::fprintf(stderr, "fringe: cppgc stack start %p does not belong to the running stack (%p)\n",
                 *self->hooks_.stack_start, self->current_->stack_start);
    std::abort();
  }
}

Fiber* Runtime::NewFiber(BudgetedStack stack) {
  auto* fiber = new Fiber(this, layout_, hooks_);
  fiber->stack = std::move(stack);
  char* base = static_cast<char*>(fiber->stack.base());
  fiber->js_limit = reinterpret_cast<std::uintptr_t>(fiber->stack.limit()) + kNativeReserve;
  fiber->stack_start = base;
  fiber->link = arch::link_slot(base);
  // The stack's touched pages and the fiber's handle block are memory V8 does
  // not see; telling it keeps GCs (which find unreachable generators and so
  // free their stacks) as frequent as that memory warrants.
  isolate_->AdjustAmountOfExternalAllocatedMemory(kAccountedBytes);
  fiber->accounted = true;
  return fiber;
}

void Runtime::DeleteFiber(Fiber* fiber) {
  if (fiber->accounted) isolate_->AdjustAmountOfExternalAllocatedMemory(-kAccountedBytes);
  delete fiber;  // unmaps the stack, frees the handle-scope memory
}

Fiber* Runtime::TakeFiber(std::size_t size, std::error_code& error, std::string* message) {
  error.clear();
  if (size == kDefaultStackSize && !pool_.empty()) {
    Fiber* fiber = pool_.back();
    pool_.pop_back();
    return fiber;
  }
  BudgetedStack stack = BudgetedStack::Allocate(size, error, message);
  if (error) return nullptr;
  return NewFiber(std::move(stack));
}

void Runtime::ReleaseFiber(Fiber* fiber) {
  fiber->coroutine = nullptr;
  if (fiber->box != nullptr) {
    // The stack goes back to its JS OsStack; the rest of the fiber goes.
    fiber->box->stack = std::move(fiber->stack);
    fiber->box->user = nullptr;
    fiber->box = nullptr;
    DeleteFiber(fiber);
  } else if (fiber->stack.size() == kDefaultStackSize && pool_.size() < pool_limit_) {
    pool_.push_back(fiber);
  } else {
    DeleteFiber(fiber);
  }
}

void Runtime::set_pool_limit(std::size_t limit) {
  pool_limit_ = limit;
  while (pool_.size() > limit) {
    DeleteFiber(pool_.back());
    pool_.pop_back();
  }
}

Coroutine* Runtime::NewCoroutine(StackBox* box, std::size_t size, double id, std::error_code& error,
                                 std::string* message) {
  Fiber* fiber;
  if (box != nullptr) {
    fiber = NewFiber(std::move(box->stack));
    fiber->box = box;
  } else {
    fiber = TakeFiber(size, error, message);
    if (fiber == nullptr) return nullptr;
  }
  auto* co = new Coroutine();
  co->runtime = this;
  co->id = id;
  co->fiber = fiber;
  co->box = box;
  fiber->coroutine = co;
  if (box != nullptr) box->user = co;
  // Every body starts from the fiber's initial frame.
  fiber->sp = arch::init_stack(fiber->stack.base(), &Runtime::Entry);
  co->index = all_.size();
  all_.push_back(co);
  return co;
}

void Runtime::Discard(Coroutine* co) {
  if (co->fiber != nullptr) {
    ReleaseFiber(co->fiber);
    co->fiber = nullptr;
  }
  co->state = CoroutineState::kDone;
}

void Runtime::Delete(Coroutine* co) {
  if (co->fiber != nullptr) ReleaseFiber(co->fiber);
  co->owner.Reset();
  Coroutine* last = all_.back();
  all_[co->index] = last;
  last->index = co->index;
  all_.pop_back();
  delete co;
}

void Runtime::StartFresh(Fiber* fiber) {
  if (pristine_tlt_) {
    fiber->v8_state.StartFresh(pristine_tlt_.get());
  } else {
    fiber->v8_state.StartFresh(nullptr);
    pristine_tlt_.reset(new char[v8::internal::Internals::kThreadLocalTopSize]);
    std::memcpy(pristine_tlt_.get(), hooks_.tlt, v8::internal::Internals::kThreadLocalTopSize);
  }
}

// The first function on a fiber's stack for each body it runs.
void Runtime::Entry(std::uintptr_t arg, void* sender_sp) {
  auto* sender = reinterpret_cast<ExecutionContext*>(arg);
  sender->sp = sender_sp;
  Runtime* self = sender->runtime;
  Coroutine* co = static_cast<Fiber*>(self->current_)->coroutine;
  self->RunBody(co);
  co->state = CoroutineState::kDone;
  // No JavaScript runs on this fiber any more and the switch below does not
  // archive it; the resumer releases it (it cannot be unmapped from here).
  self->SwitchTo(co->resumer, true);
  __builtin_unreachable();
}

void Runtime::RunBody(Coroutine* co) {
  v8::Isolate* isolate = isolate_;
  v8::HandleScope scope(isolate);
  const v8::FunctionCallbackInfo<v8::Value>& call = *co->resume_call;
  // The body and the yielder wait in the Generator's internal fields; the
  // Generator is the receiver of the resume() call that starts it.
  v8::Local<v8::Object> generator = call.This();
  v8::Local<v8::Value> body_value = generator->GetInternalField(kBodyField).As<v8::Value>();
  v8::Local<v8::Value> yielder = generator->GetInternalField(kYielderField).As<v8::Value>();
  generator->SetInternalField(kBodyField, v8::Undefined(isolate));
  generator->SetInternalField(kYielderField, v8::Undefined(isolate));
  v8::Local<v8::Function> body = body_value.As<v8::Function>();
  v8::Local<v8::Context> context = body->GetCreationContextChecked();
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> argv[] = {yielder, co->in};
  v8::MaybeLocal<v8::Value> result = body->Call(context, v8::Undefined(isolate), 2, argv);
  // The resume() waiting now may be a later one than the one that started
  // the body: write into its return-value slot.
  const v8::FunctionCallbackInfo<v8::Value>& waiting = *co->resume_call;
  if (!result.IsEmpty()) {
    waiting.GetReturnValue().Set(result.ToLocalChecked());
    co->outcome = Outcome::kReturned;
  } else if (try_catch.HasTerminated() || !try_catch.CanContinue()) {
    co->outcome = Outcome::kTerminated;
  } else {
    waiting.GetReturnValue().Set(try_catch.Exception());
    co->outcome = Outcome::kThrew;
  }
}

void Runtime::NoteCollected(Coroutine* co) {
  co->collected = true;
  co->next_collected = collected_;
  collected_ = co;
}

Coroutine* Runtime::TakeCollected() {
  Coroutine* co = collected_;
  if (co != nullptr) {
    collected_ = co->next_collected;
    co->next_collected = nullptr;
  }
  return co;
}

void Runtime::Teardown() {
  // No JavaScript runs any more: suspended generators cannot be unwound.
  // Take their states off the isolate's list (the ThreadManager would
  // otherwise walk or free memory that is ours) and unmap their stacks.
  for (Coroutine* co : all_) {
    if (co->fiber != nullptr) {
      co->fiber->v8_state.Discard();
      DeleteFiber(co->fiber);
    }
    co->owner.Reset();
    delete co;
  }
  all_.clear();
  for (Fiber* fiber : pool_) DeleteFiber(fiber);
  pool_.clear();
}

}  // namespace fringe
