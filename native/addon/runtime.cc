// See runtime.h.

#include "runtime.h"

#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "fringe/overflow.hpp"
#include "v8/stack_trace_flag.h"

namespace fringe {

namespace {
constexpr const char* kOverflowHintJs =
    "give the generator a larger stack: the `stack` argument of `new Generator(body, stack)` "
    "(a size in bytes, or an OsStack; the default is 1048576)";
}  // namespace

std::unique_ptr<Runtime> Runtime::Create(v8::Isolate* isolate, std::string* error) {
  const V8Layout& layout = V8Layout::Get();
  IsolateHooks hooks;
  if (!IsolateHooks::Bind(isolate, layout, &hooks, error)) return nullptr;
  JoinStack join_stack;
  if (!join_stack.Find(isolate, isolate->GetCurrentContext(), error)) return nullptr;
  StackTraceFlag formatting;
  if (!formatting.Find(isolate, isolate->GetCurrentContext(), error)) return nullptr;
  // A native stack overflow in a generator becomes a report, not a bare
  // SIGSEGV: the handler is process-wide, the alternate stack it runs on is
  // per thread (this one runs the isolate's generators).
  InstallOverflowHandler(kOverflowHintJs);
  return std::unique_ptr<Runtime>(new Runtime(isolate, layout, hooks, join_stack, formatting.address()));
}

Runtime::Runtime(v8::Isolate* isolate, const V8Layout& layout, const IsolateHooks& hooks, const JoinStack& join_stack,
                 bool* formatting_stack_trace)
    : isolate_(isolate),
      v8_(isolate, layout, hooks, formatting_stack_trace),
      join_stack_(join_stack),
      root_(this, v8_, false),
      current_(&root_),
      accounted_bytes_(kAccountedBytes + (v8_.handle_blocks_in_stacks() ? 0 : kAccountedHandleBlock)),
      accounted_full_(static_cast<std::size_t>(kExternalGrowthForGc / accounted_bytes_)) {
  default_microtasks_ = isolate->GetCurrentContext()->GetMicrotaskQueue();
  home_context_.Reset(isolate, isolate->GetCurrentContext());
  v8_.InitThread(&root_);
  for (RanLink& list : ran_lists_) list.prev = list.next = &list;
  isolate->AddGCEpilogueCallback(&Runtime::AfterFullGc, this, v8::kGCTypeMarkSweepCompact);
}

Runtime::~Runtime() { isolate_->RemoveGCEpilogueCallback(&Runtime::AfterFullGc, this); }

void Runtime::Unlink(RanLink* link) {
  if (link->next == nullptr) return;
  link->prev->next = link->next;
  link->next->prev = link->prev;
  link->prev = link->next = nullptr;
}

void Runtime::NoteRan(Fiber* fiber) {
  Unlink(&fiber->ran);
  RanLink& list = ran_lists_[interval_ & 1];
  fiber->ran.next = list.next;
  fiber->ran.prev = &list;
  list.next->prev = &fiber->ran;
  list.next = &fiber->ran;
  fiber->ran_interval = interval_;
}

void Runtime::AfterFullGc(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  static_cast<Runtime*>(data)->TrimIdleStacks();
}

void Runtime::TrimIdleStacks() {
  // The list of the interval before this one: fibers that have not run
  // since it ended (a resume since moved them to this interval's list).
  RanLink& idle = ran_lists_[(interval_ - 1) & 1];
  interval_++;  // the emptied list becomes the new interval's
  if (idle.next == &idle) return;
  const auto page = static_cast<std::uintptr_t>(page_size());
  std::vector<iovec> ranges;
  std::vector<Fiber*> busy;
  while (idle.next != &idle) {
    Fiber* fiber = idle.next->fiber;
    Unlink(&fiber->ran);
    // Running since before that interval ended (a body that has not
    // suspended since, one waiting in a resume() of its own, or the fiber
    // a capture runs on, whose coroutine stays kSuspended): it is running
    // in this one too.
    if (fiber == current_ || (fiber->coroutine != nullptr && fiber->coroutine->state == CoroutineState::kRunning)) {
      busy.push_back(fiber);
      continue;
    }
    // Suspended, or parked in the pool; with its stack.
    const bool waiting = fiber->coroutine != nullptr ? fiber->coroutine->state == CoroutineState::kSuspended
                                                     : fiber->started && !fiber->finished;
    if (!waiting || !fiber->stack) continue;
    const auto low = reinterpret_cast<std::uintptr_t>(fiber->stack.limit());
    const std::uintptr_t keep = (reinterpret_cast<std::uintptr_t>(fiber->sp) & ~(page - 1)) - kTrimSlackPages * page;
    if (keep <= low) continue;
    // Batched, a range with nothing resident costs the kernel a walk of its
    // page tables and no TLB flush: 0.3 us a stack in one process_madvise,
    // against 0.85 for a mincore first. One madvise each costs more than a
    // mincore, so there the many that never went deeper are skipped.
    unsigned char resident = 0;
    if (!BudgetedStack::batched_page_release() &&
        (mincore(reinterpret_cast<void*>(keep - page), page, &resident) != 0 || (resident & 1) == 0)) {
      continue;
    }
    ranges.push_back({reinterpret_cast<void*>(low), keep - low});
  }
  for (Fiber* fiber : busy) NoteRan(fiber);
  if (ranges.empty()) return;
  BudgetedStack::DropPages(ranges.data(), ranges.size());
  trimmed_stacks_ += ranges.size();
}

Fiber* Runtime::NewFiber(BudgetedStack stack) {
  auto* fiber = new Fiber(this, v8_);
  fiber->stack = std::move(stack);
  fiber->frames_base = v8_.InitStack(fiber, fiber->stack.base(),
                                     reinterpret_cast<std::uintptr_t>(fiber->stack.limit()) + kNativeReserve,
                                     fiber->stack.size());
  fiber->link = arch::link_slot(fiber->frames_base);
  // The stack's touched page and fringe's records are memory V8 does not
  // see; telling it keeps GCs (which find unreachable generators and so free
  // their stacks) as frequent as that memory warrants: V8 starts a full GC
  // after every 64 MiB of external growth. But it does so whatever is live,
  // and a full GC visits every suspended generator (microseconds each):
  // reported at a fixed size, creating n generators and keeping them costs
  // n^2 visits (at 16 KiB each, 200 000 took 30 s, nearly all of it in GCs).
  // So once the fibers' reports reach those 64 MiB each new one is reported
  // at a share that falls as 1/fibers: the next GC comes when the fibers
  // have grown e-fold, as V8's heap limit grows with the heap. Uncollected
  // garbage generators stay bounded by the live ones.
  fibers_++;
  fiber->accounted = fibers_ <= accounted_full_
                         ? accounted_bytes_
                         : accounted_bytes_ * static_cast<std::int64_t>(accounted_full_) / static_cast<std::int64_t>(fibers_);
  isolate_->AdjustAmountOfExternalAllocatedMemory(fiber->accounted);
  return fiber;
}

void Runtime::DeleteFiber(Fiber* fiber) {
  Unlink(&fiber->ran);
  isolate_->AdjustAmountOfExternalAllocatedMemory(-fiber->accounted);
  fibers_--;
  if (release_batches_ > 0 && fiber->stack) {
    batched_stacks_.push_back(std::move(fiber->stack));
    if (batched_stacks_.size() >= kReleaseBatch) ReleaseBatchedStacks();
  }
  delete fiber;  // unmaps the stack (unless batched), frees the handle-scope memory
}

void Runtime::ReleaseBatchedStacks() {
  BudgetedStack::ReleaseMany(batched_stacks_.data(), batched_stacks_.size());
  batched_stacks_.clear();
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
    // The stack goes back to its JS OsStack (such a fiber never parks, so
    // it has either finished or never run); the rest of the fiber goes.
    fiber->box->stack = std::move(fiber->stack);
    fiber->box->user = nullptr;
    fiber->box = nullptr;
    DeleteFiber(fiber);
  } else if (!fiber->finished && fiber->stack.size() == kDefaultStackSize && pool_.size() < pool_limit_) {
    pool_.push_back(fiber);  // new, or parked
  } else if (fiber->started && !fiber->finished) {
    RetireParked(fiber);
  } else {
    DeleteFiber(fiber);
  }
}

// A parked fiber leaves the pool: resuming it with a "retiring" coroutine
// makes park() return nothing and fiberMain return, so that its handle
// scopes close and its memory is freed properly.
void Runtime::RetireParked(Fiber* fiber) {
  Coroutine retire;
  retire.runtime = this;
  retire.fiber = fiber;
  retire.retiring = true;
  retire.state = CoroutineState::kRunning;
  retire.resumer = current_;
  fiber->coroutine = &retire;
  SwitchTo(fiber, false);
  DeleteFiber(fiber);
}

void Runtime::set_pool_limit(std::size_t limit) {
  StackReleaseBatch batch(this);
  pool_limit_ = limit;
  while (pool_.size() > limit) {
    Fiber* fiber = pool_.back();
    pool_.pop_back();
    if (fiber->started) {
      RetireParked(fiber);
    } else {
      DeleteFiber(fiber);
    }
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
  Coroutine* co;
  if (!free_coroutines_.empty()) {
    co = free_coroutines_.back();
    free_coroutines_.pop_back();
    new (co) Coroutine();
  } else {
    co = static_cast<Coroutine*>(::operator new(sizeof(Coroutine)));
    new (co) Coroutine();
  }
  co->runtime = this;
  co->id = id;
  co->fiber = fiber;
  fiber->coroutine = co;
  if (box != nullptr) box->user = co;
  // A new fiber starts at Entry; a parked one goes on inside park().
  if (!fiber->started) fiber->sp = arch::init_stack(fiber->frames_base, &Runtime::Entry);
  co->index = all_.size();
  all_.push_back(co);
  return co;
}

void Runtime::CaptureStack(Coroutine* co, CaptureRequest* request) {
  request->requester = current_;
  co->capture = request;
  // V8's walk of its frames runs below them: as a run, it counts.
  if (co->fiber->ran_interval != interval_) NoteRan(co->fiber);
  // Not a resume: co->resumer stays null, so the switch does not splice the
  // fiber's call stack onto ours, and co->state stays kSuspended.
  SwitchTo(co->fiber, false);
}

void Runtime::ServeCaptures(Coroutine* co) {
  while (CaptureRequest* request = co->capture) {
    co->capture = nullptr;
    {
      // This fiber's own V8 state is current: V8 walks its frames, from the
      // suspend() call down to fiberMain. Reading a frame's names allocates
      // (and may GC), but runs no JavaScript.
      v8::HandleScope scope(isolate_);
      v8::Local<v8::StackTrace> trace = v8::StackTrace::CurrentStackTrace(isolate_, request->limit, v8::StackTrace::kDetailed);
      const int count = trace->GetFrameCount();
      request->frames.reserve(static_cast<std::size_t>(count));
      for (int i = 0; i < count; i++) {
        v8::Local<v8::StackFrame> frame = trace->GetFrame(isolate_, static_cast<std::uint32_t>(i));
        CapturedFrame out;
        if (v8::Local<v8::String> name = frame->GetFunctionName(); !name.IsEmpty()) {
          out.function = *v8::String::Utf8Value(isolate_, name);
        }
        if (v8::Local<v8::String> script = frame->GetScriptNameOrSourceURL(); !script.IsEmpty()) {
          out.script = *v8::String::Utf8Value(isolate_, script);
        }
        out.line = frame->GetLineNumber() > 0 ? frame->GetLineNumber() : 0;
        out.column = frame->GetColumn() > 0 ? frame->GetColumn() : 0;
        out.constructor = frame->IsConstructor();
        request->frames.push_back(std::move(out));
      }
    }
    // Back to whoever asked, which finds the frames in its request; this
    // fiber waits, suspended as before, for a resume or another capture.
    SwitchTo(request->requester, false);
  }
}

void Runtime::Discard(Coroutine* co) {
  if (co->fiber != nullptr) {
    ReleaseFiber(co->fiber);
    co->fiber = nullptr;
  }
  co->state = CoroutineState::kDone;
}

void Runtime::Deliver(bool threw, v8::Local<v8::Value> result) {
  Coroutine* co = static_cast<Fiber*>(current_)->coroutine;
  // The resume() waiting now may be a later one than the one that started
  // the body: its return-value slot is on the (archived) resumer's stack.
  co->resume_call->GetReturnValue().Set(result);
  co->outcome = threw ? Outcome::kThrew : Outcome::kReturned;
  co->state = CoroutineState::kDone;
  // Nothing of the body is on the stack any more: neither are its sections.
  current_->watchdog_calls = 0;
  current_->exiting = false;
}

void Runtime::Delete(Coroutine* co) {
  if (co->fiber != nullptr) ReleaseFiber(co->fiber);
  co->owner.Reset();
  Coroutine* last = all_.back();
  all_[co->index] = last;
  last->index = co->index;
  all_.pop_back();
  co->~Coroutine();
  // Kept for the next generator: creating one is a hot path.
  if (free_coroutines_.size() < kFreeCoroutines) {
    free_coroutines_.push_back(co);
  } else {
    ::operator delete(co);
  }
}

// The first function on a fiber's stack: runs fiberMain until it returns.
void Runtime::Entry(std::uintptr_t arg, void* sender_sp) {
  auto* sender = reinterpret_cast<ExecutionContext*>(arg);
  sender->sp = sender_sp;
  Runtime* self = sender->runtime;
  auto* fiber = static_cast<Fiber*>(self->current_);
  fiber->started = true;
  self->RunFiber(fiber);
  fiber->finished = true;
  // No JavaScript runs on this fiber any more and the switch below does not
  // archive it; the resumer deletes it (it cannot be unmapped from here).
  Coroutine* co = fiber->coroutine;
  self->SwitchTo(co->resumer, true);
  __builtin_unreachable();
}

void Runtime::RunFiber(Fiber* fiber) {
  v8::Isolate* isolate = isolate_;
  v8::HandleScope scope(isolate);
  v8::Local<v8::Function> main = fiber_main_.Get(isolate);
  v8::Local<v8::Context> context = main->GetCreationContextChecked();
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);
  // fiberMain() gets no arguments: anything passed would stay on this stack,
  // alive, for the fiber's whole life (lib hands it each body to run).
  v8::MaybeLocal<v8::Value> result = main->Call(context, v8::Undefined(isolate), 0, nullptr);
  if (!result.IsEmpty()) return;  // the last body's result was delivered
  // fiberMain catches what bodies throw; what gets here is termination (or
  // a failure of fiberMain itself).
  Coroutine* co = fiber->coroutine;
  co->state = CoroutineState::kDone;
  if (try_catch.HasTerminated() || !try_catch.CanContinue()) {
    co->outcome = Outcome::kTerminated;
  } else {
    co->resume_call->GetReturnValue().Set(try_catch.Exception());
    co->outcome = Outcome::kThrew;
  }
}

void Runtime::NoteCollected(Coroutine* co) {
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
  // otherwise walk or free memory that is ours) and unmap their stacks, all
  // at once at the end (BudgetedStack::ReleaseMany: whole chunks).
  std::vector<BudgetedStack> stacks;
  stacks.reserve(all_.size() + pool_.size());
  for (Coroutine* co : all_) {
    if (co->fiber != nullptr) {
      // An OsStack's object may still be collected after this (its weak
      // callback runs during the isolate's teardown): it must not find a
      // generator that is gone.
      if (StackBox* box = co->fiber->box) box->user = nullptr;
      co->fiber->v8_state.Discard();
      stacks.push_back(std::move(co->fiber->stack));
      DeleteFiber(co->fiber);
    }
    co->owner.Reset();
    co->~Coroutine();
    ::operator delete(co);
  }
  all_.clear();
  for (Coroutine* co : free_coroutines_) ::operator delete(co);
  free_coroutines_.clear();
  for (Fiber* fiber : pool_) {
    fiber->v8_state.Discard();  // a parked fiber holds fiberMain's scopes
    stacks.push_back(std::move(fiber->stack));
    DeleteFiber(fiber);
  }
  pool_.clear();
  BudgetedStack::ReleaseMany(stacks.data(), stacks.size());
}

}  // namespace fringe
