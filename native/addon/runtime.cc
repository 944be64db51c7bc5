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
    : isolate_(isolate),
      layout_(layout),
      hooks_(hooks),
      root_(this, layout, hooks_, false),
      current_(&root_) {
  root_.js_limit = *hooks_.real_jslimit;
  root_.stack_start = hooks_.thread_stack_start;
  isolate_->AddGCPrologueCallback(&CheckStackStart, this);
}

Runtime::~Runtime() {
  isolate_->RemoveGCPrologueCallback(&CheckStackStart, this);
}

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

Coroutine* Runtime::NewCoroutine(BudgetedStack stack, StackBox* box, v8::Local<v8::Function> body,
                                 v8::Local<v8::Value> yielder, v8::Local<v8::Context> context) {
  auto* co = new Coroutine(this, layout_, hooks_);
  co->stack = std::move(stack);
  co->box = box;
  char* base = static_cast<char*>(co->stack.base());
  co->js_limit = reinterpret_cast<std::uintptr_t>(co->stack.limit()) + kNativeReserve;
  co->stack_start = base;
  co->link = arch::link_slot(base);
  co->sp = arch::init_stack(base, &Runtime::Entry);
  co->body.Reset(isolate_, body);
  co->yielder.Reset(isolate_, yielder);
  co->context.Reset(isolate_, context);
  co->index = all_.size();
  all_.push_back(co);
  // The stack's touched pages and the coroutine's handle block are memory V8
  // does not see; telling it keeps GCs (which find unreachable generators and
  // so free their stacks) as frequent as that memory warrants.
  isolate_->AdjustAmountOfExternalAllocatedMemory(kAccountedBytes);
  co->accounted = true;
  return co;
}

// The first function on a coroutine's stack.
void Runtime::Entry(std::uintptr_t arg, void* sender_sp) {
  auto* sender = reinterpret_cast<ExecutionContext*>(arg);
  sender->sp = sender_sp;
  Runtime* self = sender->runtime;
  auto* co = static_cast<Coroutine*>(self->current_);
  self->RunBody(co);
  co->state = CoroutineState::kDone;
  self->SwitchTo(co->resumer, true);
  __builtin_unreachable();
}

void Runtime::RunBody(Coroutine* co) {
  v8::Isolate* isolate = isolate_;
  v8::HandleScope scope(isolate);
  v8::Local<v8::Context> context = co->context.Get(isolate);
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Function> body = co->body.Get(isolate);
  v8::Local<v8::Value> argv[] = {co->yielder.Get(isolate), co->in};
  co->body.Reset();
  co->yielder.Reset();
  v8::MaybeLocal<v8::Value> result = body->Call(context, v8::Undefined(isolate), 2, argv);
  if (!result.IsEmpty()) {
    co->result.Reset(isolate, result.ToLocalChecked());
    co->outcome = Outcome::kReturned;
  } else if (try_catch.HasTerminated() || !try_catch.CanContinue()) {
    co->outcome = Outcome::kTerminated;
  } else {
    co->result.Reset(isolate, try_catch.Exception());
    co->outcome = Outcome::kThrew;
  }
}

void Runtime::Delete(Coroutine* co) {
  ReleaseResources(co);
  co->owner.Reset();
  if (!co->handle.IsEmpty()) {
    // The handle object may outlive the coroutine (a Yielder kept somewhere):
    // make it point at nothing.
    v8::HandleScope scope(isolate_);
    co->handle.Get(isolate_)->SetAlignedPointerInInternalField(0, nullptr);
    co->handle.Reset();
  }
  Coroutine* last = all_.back();
  all_[co->index] = last;
  last->index = co->index;
  all_.pop_back();
  delete co;
}

void Runtime::ReleaseResources(Coroutine* co) {
  if (co->accounted) {
    isolate_->AdjustAmountOfExternalAllocatedMemory(-static_cast<std::int64_t>(kAccountedBytes));
    co->accounted = false;
  }
  co->body.Reset();
  co->yielder.Reset();
  co->context.Reset();
  co->result.Reset();
  if (!co->stack) return;
  if (co->box != nullptr) {
    co->box->stack = std::move(co->stack);
    co->box->user = nullptr;
    co->box = nullptr;
  } else {
    GiveBackStack(std::move(co->stack));
  }
}

BudgetedStack Runtime::TakeStack(std::size_t size, std::error_code& error, std::string* message) {
  error.clear();
  if (size == kDefaultStackSize && !pool_.empty()) {
    BudgetedStack stack = std::move(pool_.back());
    pool_.pop_back();
    return stack;
  }
  return BudgetedStack::Allocate(size, error, message);
}

void Runtime::GiveBackStack(BudgetedStack stack) {
  if (stack.size() == kDefaultStackSize && pool_.size() < pool_limit_) pool_.push_back(std::move(stack));
}

void Runtime::set_pool_limit(std::size_t limit) {
  pool_limit_ = limit;
  if (pool_.size() > limit) pool_.resize(limit);
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
  // No JavaScript runs any more: suspended coroutines cannot be unwound.
  // Take their states off the isolate's list (the ThreadManager would
  // otherwise walk or free memory that is ours) and unmap their stacks.
  for (Coroutine* co : all_) {
    co->v8_state.Discard();
    co->body.Reset();
    co->yielder.Reset();
    co->context.Reset();
    co->result.Reset();
    co->owner.Reset();
    co->handle.Reset();
    co->stack.release();
    delete co;
  }
  all_.clear();
  pool_.clear();
}

}  // namespace fringe
