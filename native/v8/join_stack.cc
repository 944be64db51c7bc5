// See join_stack.h.

#include "v8/join_stack.h"

namespace fringe {

namespace {
// Slots of a native context scanned for the join stack: it is among the
// first few dozen in every V8 fringe supports; the bound only keeps a
// failed search short.
constexpr std::uintptr_t kMaxSlots = 1024;
// What a probe finds: the offset and the hole, or nothing.
struct ProbeResult {
  std::uintptr_t native;
  std::ptrdiff_t offset = 0;
  std::uintptr_t hole = 0;
};
}  // namespace

std::uint32_t JoinStack::SlowDepth(std::uintptr_t stack) const {
  std::uintptr_t length = Field(stack, kLength) >> 32;
  std::uint32_t depth = 0;
  while (depth < length && Field(stack, kElements + 8 * static_cast<std::ptrdiff_t>(depth)) != hole_) depth++;
  return depth;
}

// Called as the toString() of the only element of an array being joined:
// the native context's join stack now holds that array first, then holes.
void JoinStack::Probe(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* result = static_cast<ProbeResult*>(info.Data().As<v8::External>()->Value());
  info.GetReturnValue().Set(v8::String::Empty(info.GetIsolate()));
  if (!info[0]->IsArray()) return;
  const std::uintptr_t array = Raw(info[0]);
  const std::uintptr_t native = result->native;
  const std::uintptr_t slots = Field(native, kLength) >> 32;
  for (std::uintptr_t i = 0; i < slots && i < kMaxSlots; i++) {
    const std::ptrdiff_t offset = kElements + 8 * static_cast<std::ptrdiff_t>(i);
    const std::uintptr_t value = Field(native, offset);
    if ((value & 3) != kHeapObjectTag) continue;
    // A FixedArray's length is a Smi: low half zero.
    const std::uintptr_t raw_length = Field(value, kLength);
    if ((raw_length & 0xffffffff) != 0) continue;
    const std::uintptr_t length = raw_length >> 32;
    if (length < 2 || length > 4096) continue;
    if (Field(value, kElements) != array) continue;
    result->offset = offset;
    result->hole = Field(value, kElements + 8);
    return;
  }
}

bool JoinStack::Find(v8::Isolate* isolate, v8::Local<v8::Context> context, std::string* error) {
  v8::HandleScope scope(isolate);
  v8::Context::Scope context_scope(context);
  ProbeResult result{Raw(context)};
  v8::Local<v8::Function> probe;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> runner;
  v8::TryCatch try_catch(isolate);
  // Array.prototype.join as this context has it: if code replaced it before
  // fringe loaded, the probe finds nothing and fringe loads unsupported.
  v8::Local<v8::String> source = v8::String::NewFromUtf8Literal(
      isolate,
      "(function (probe) {"
      "  const a = [{ toString() { return probe(a); } }];"
      "  return a.join();"
      "})");
  if (!v8::FunctionTemplate::New(isolate, &Probe, v8::External::New(isolate, &result))->GetFunction(context).ToLocal(&probe) ||
      !v8::Script::Compile(context, source).ToLocal(&script) || !script->Run(context).ToLocal(&runner) ||
      !runner->IsFunction()) {
    *error = "cannot run the join-stack probe";
    return false;
  }
  v8::Local<v8::Value> argv[] = {probe};
  if (runner.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, argv).IsEmpty() || result.offset == 0) {
    *error = "cannot find V8's Array join stack in the native context";
    return false;
  }
  slot_offset_ = result.offset;
  hole_ = result.hole;
  undefined_ = Raw(v8::Local<v8::Value>(v8::Undefined(isolate)));
  // Now that the join has ended, the stack is all holes: depth 0.
  if (Depth(context) != 0) {
    slot_offset_ = 0;
    *error = "V8's Array join stack does not look as expected after a join";
    return false;
  }
  return true;
}

}  // namespace fringe
