// OsStack handles (lib/stack.ts): guarded stacks a Generator can run on,
// owned by a JavaScript object until a generator takes them.

#include <cmath>
#include <string>
#include <system_error>

#include "binding.h"

namespace fringe {
namespace binding {

StackBox* UnwrapStack(AddonState* state, v8::Local<v8::Value> value) {
  if (!value->IsObject()) return nullptr;
  v8::Local<v8::Object> object = value.As<v8::Object>();
  if (object->InternalFieldCount() != kStackFields || GetInternalPointer(object, 1) != state) return nullptr;
  return static_cast<StackBox*>(GetInternalPointer(object, 0));
}

bool CheckStackSize(AddonState* state, v8::Isolate* isolate, const char* argument, Expected type,
                    v8::Local<v8::Value> value, std::size_t* size) {
  if (!value->IsNumber()) {
    ThrowArgType(state, isolate, argument, type, value);
    return false;
  }
  double bytes = value.As<v8::Number>()->Value();
  if (!(std::trunc(bytes) == bytes && bytes >= static_cast<double>(Runtime::kMinimumStackSize) &&
        bytes <= static_cast<double>(kMaximumStackSize))) {
    ThrowArgRange(state, isolate, argument, Expected::kStackSize, value,
                  {{"minimum", std::to_string(Runtime::kMinimumStackSize)}, {"maximum", std::to_string(kMaximumStackSize)}});
    return false;
  }
  *size = static_cast<std::size_t>(bytes);
  return true;
}

void ThrowStackAllocation(v8::Isolate* isolate, std::size_t size, const std::string& reason) {
  ThrowContractError(isolate, ErrorId::kStackAllocation, {{"size", std::to_string(size)}, {"reason", reason}});
}

namespace {

void OnStackCollected(const v8::WeakCallbackInfo<StackBox>& data) {
  StackBox* box = data.GetParameter();
  box->handle.Reset();
  if (Coroutine* user = box->user) {
    // The generator keeps the memory; it is unmapped when the generator ends.
    if (user->fiber != nullptr) user->fiber->box = nullptr;
  }
  delete box;
}

v8::Local<v8::Object> WrapStack(AddonState* state, v8::Isolate* isolate, BudgetedStack stack) {
  v8::Local<v8::Object> object =
      state->stack_template.Get(isolate)->NewInstance(isolate->GetCurrentContext()).ToLocalChecked();
  auto* box = new StackBox();
  box->size = stack.size();
  box->base = stack.base();
  box->limit = stack.limit();
  box->stack = std::move(stack);
  SetInternalPointer(object, 0, box);
  SetInternalPointer(object, 1, state);
  box->handle.Reset(isolate, object);
  box->handle.SetWeak(box, &OnStackCollected, v8::WeakCallbackType::kParameter);
  return object;
}

// createStack(size: number): handle. lib/stack.ts checks the size first,
// in the same words.
void CreateStack(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  std::size_t size;
  if (!CheckStackSize(state, isolate, "size", Expected::kBytes, info[0], &size)) return;
  std::error_code error;
  std::string reason;
  BudgetedStack stack = BudgetedStack::Allocate(size, error, &reason);
  if (error) return ThrowStackAllocation(isolate, size, reason);
  info.GetReturnValue().Set(WrapStack(state, isolate, std::move(stack)));
}

// stackInfo(handle): { size, base, limit, inUse, released }. Not on the
// resume path: OsStack's getters, and a Generator made on an OsStack.
void StackInfo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  v8::Isolate* isolate = info.GetIsolate();
  StackBox* box = UnwrapStack(state, info[0]);
  if (box == nullptr) return ThrowArgType(state, isolate, "stack", Expected::kOsStack, info[0]);
  v8::Local<v8::Value> values[] = {
      v8::Number::New(isolate, static_cast<double>(box->size)),
      v8::BigInt::NewFromUnsigned(isolate, reinterpret_cast<std::uintptr_t>(box->base)),
      v8::BigInt::NewFromUnsigned(isolate, reinterpret_cast<std::uintptr_t>(box->limit)),
      v8::Boolean::New(isolate, box->user != nullptr),
      v8::Boolean::New(isolate, box->user == nullptr && !box->stack),
  };
  v8::Local<v8::Object> record = Record(state, isolate, {"size", "base", "limit", "inUse", "released"}, values);
  info.GetReturnValue().Set(record);
}

// releaseStack(handle): true if unmapped (or already), false while in use.
void ReleaseStack(const v8::FunctionCallbackInfo<v8::Value>& info) {
  AddonState* state = StateOf(info);
  StackBox* box = UnwrapStack(state, info[0]);
  if (box == nullptr) return ThrowArgType(state, info.GetIsolate(), "stack", Expected::kOsStack, info[0]);
  if (box->user != nullptr) return info.GetReturnValue().Set(false);
  box->stack.release();
  info.GetReturnValue().Set(true);
}


}  // namespace

void InitializeStacks(v8::Local<v8::Context> context, v8::Local<v8::Object> exports, AddonState* state,
                      v8::Local<v8::External> data) {
  v8::Isolate* isolate = IsolateOf(context);
  if (state->stack_template.IsEmpty()) {
    // Stacks have three fields, Generators two: the count tells them apart.
    v8::Local<v8::ObjectTemplate> s = v8::ObjectTemplate::New(isolate);
    s->SetInternalFieldCount(kStackFields);
    state->stack_template.Reset(isolate, s);
  }
  SetMethod(context, exports, "createStack", CreateStack, data);
  SetMethod(context, exports, "stackInfo", StackInfo, data);
  SetMethod(context, exports, "releaseStack", ReleaseStack, data);
  // takeStack(size), for unwrap() of a finished generator that ran on a
  // pooled stack: a new OsStack of `size` bytes, made as createStack() makes it.
  SetMethod(context, exports, "takeStack", CreateStack, data);
}

}  // namespace binding
}  // namespace fringe
