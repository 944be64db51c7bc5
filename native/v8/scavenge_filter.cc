// See scavenge_filter.h.

#include "v8/scavenge_filter.h"

#include <chrono>
#include <random>

namespace fringe {

// Random per process: no stray word in V8's own states can equal it by design.
const std::uintptr_t ScavengeFilter::magic_ = [] {
  std::random_device device;
  std::uintptr_t value = (static_cast<std::uintptr_t>(device()) << 32) ^ device() ^
                         static_cast<std::uintptr_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return value | 1;  // never a pointer
}();

ScavengeFilter::ScavengeFilter(v8::Isolate* isolate, const V8Layout& layout, const IsolateHooks& hooks)
    : isolate_(isolate), layout_(layout), hooks_(hooks) {
  isolate_->AddGCPrologueCallback(&Prologue, this, v8::kGCTypeScavenge);
  isolate_->AddGCEpilogueCallback(&Epilogue, this, v8::kGCTypeScavenge);
}

ScavengeFilter::~ScavengeFilter() {
  isolate_->RemoveGCPrologueCallback(&Prologue, this);
  isolate_->RemoveGCEpilogueCallback(&Epilogue, this);
}

char*& ScavengeFilter::Next(char* state) const {
  return *reinterpret_cast<char**>(state + layout_.thread_state_next);
}
char*& ScavengeFilter::Previous(char* state) const {
  return *reinterpret_cast<char**>(state + layout_.thread_state_previous);
}

ScavengeFilter::Age* ScavengeFilter::Ours(char* state) const {
  if (state == hooks_.in_use_anchor) return nullptr;
  if (*reinterpret_cast<std::uintptr_t*>(state + layout_.thread_state_size) != magic_) return nullptr;
  return *reinterpret_cast<Age**>(state + layout_.thread_state_size + sizeof(void*));
}

// Cuts the settled run [settled_first_, tail] off the in-use list.
void ScavengeFilter::Prologue(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<ScavengeFilter*>(data);
  if (self->settled_first_ == nullptr) return;
  char* anchor = self->hooks_.in_use_anchor;
  char* first = self->settled_first_;
  char* last = self->Previous(anchor);
  char* before = self->Previous(first);
  self->Next(before) = anchor;
  self->Previous(anchor) = before;
  self->cut_first_ = first;
  self->cut_last_ = last;
  self->filtered_scavenges_++;
  self->skipped_states_ += self->settled_count_;
}

// Ages the states this scavenge visited, moves those that have now seen two
// to the run, and splices the run back at the tail.
void ScavengeFilter::Epilogue(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<ScavengeFilter*>(data);
  char* anchor = self->hooks_.in_use_anchor;
  char* first = self->cut_first_;
  char* last = self->cut_last_;
  self->cut_first_ = self->cut_last_ = nullptr;
  for (char* state = self->Next(anchor); state != anchor;) {
    char* next = self->Next(state);
    Age* ours = self->Ours(state);
    if (ours != nullptr && ++ours->scavenges >= 2) {
      // Out of the visited part...
      self->Next(self->Previous(state)) = next;
      self->Previous(next) = self->Previous(state);
      // ...onto the end of the run.
      if (first == nullptr) {
        first = last = state;
        self->Previous(state) = self->Next(state) = nullptr;
      } else {
        self->Next(last) = state;
        self->Previous(state) = last;
        last = state;
      }
      ours->settled = true;
      self->settled_count_++;
    }
    state = next;
  }
  if (first == nullptr) return;
  char* tail = self->Previous(anchor);
  self->Next(tail) = first;
  self->Previous(first) = tail;
  self->Next(last) = anchor;
  self->Previous(anchor) = last;
  self->settled_first_ = first;
}

}  // namespace fringe
