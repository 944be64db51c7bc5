// See continuation_data_guard.h.

#include "v8/continuation_data_guard.h"

#include "v8/v8_compat.h"

namespace fringe {

namespace {
// The slot is per isolate from V8 12 on.
constexpr bool kSlotPerIsolate = V8_MAJOR_VERSION >= 12;
}  // namespace

ContinuationDataGuard::ContinuationDataGuard(v8::Isolate* isolate) : isolate_(isolate) {
  if (!kSlotPerIsolate) return;
  isolate_->AddGCPrologueCallback(&Prologue, this, v8::kGCTypeScavenge);
  isolate_->AddGCEpilogueCallback(&Epilogue, this, v8::kGCTypeScavenge);
}

ContinuationDataGuard::~ContinuationDataGuard() {
  if (!kSlotPerIsolate) return;
  isolate_->RemoveGCPrologueCallback(&Prologue, this);
  isolate_->RemoveGCEpilogueCallback(&Epilogue, this);
}

void ContinuationDataGuard::Prologue(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<ContinuationDataGuard*>(data);
  v8::HandleScope scope(isolate);
  v8::Local<v8::Data> value = GetContinuationData(isolate);
  if (value.IsEmpty()) return;
  if (value->IsValue() && value.As<v8::Value>()->IsUndefined()) return;  // the usual case: nothing to park
  self->parked_.Reset(isolate, value);
  SetContinuationData(isolate, v8::Undefined(isolate));
}

void ContinuationDataGuard::Epilogue(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<ContinuationDataGuard*>(data);
  if (self->parked_.IsEmpty()) return;
  v8::HandleScope scope(isolate);
  SetContinuationData(isolate, self->parked_.Get(isolate));
  self->parked_.Reset();
}

}  // namespace fringe
