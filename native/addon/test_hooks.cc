// See test_hooks.h.

#include "test_hooks.h"

#include <signal.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "fringe/overflow.hpp"
#include "fringe/stack.hpp"
#include "v8/v8_compat.h"

namespace fringe {
namespace {

#pragma GCC diagnostic ignored "-Winfinite-recursion"
// Not a tail call, and a frame the compiler cannot shrink: it really eats
// the stack, ignoring V8's stack limit as any native code would.
__attribute__((noinline)) int RecurseForever(volatile int depth) {
  volatile char pad[256];
  pad[0] = static_cast<char>(depth);
  return RecurseForever(depth + 1) + pad[0];
}

// recurseNatively(): recurses in C++ on the current stack until it overflows.
void RecurseNatively(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(RecurseForever(0));
}

// writeProtectedPage(): writes to a PROT_NONE page that is no stack's.
void WriteProtectedPage(const v8::FunctionCallbackInfo<v8::Value>&) {
  void* page = mmap(nullptr, page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) std::abort();
  *static_cast<volatile char*>(page) = 1;
}

// writeNull(): writes to address 0.
void WriteNull(const v8::FunctionCallbackInfo<v8::Value>&) {
  volatile int* volatile null = nullptr;
  *null = 1;
}

// overflowHandlerInstalled(): whether SIGSEGV goes to the overflow handler.
void OverflowHandlerInstalledHook(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(OverflowHandlerInstalled());
}

// altStackSize(): the calling thread's alternate signal stack size, 0 if none.
void AltStackSize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  stack_t current;
  double size = 0;
  if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) size = static_cast<double>(current.ss_size);
  info.GetReturnValue().Set(size);
}

}  // namespace

void InitializeTestHooks(v8::Local<v8::Context> context, v8::Local<v8::Object> exports) {
  const char* enabled = std::getenv("FRINGE_TEST_HOOKS");
  if (enabled == nullptr || std::strcmp(enabled, "1") != 0) return;
  v8::Isolate* isolate = IsolateOf(context);
  v8::Local<v8::Object> hooks = v8::Object::New(isolate);
  auto add = [&](const char* name, v8::FunctionCallback callback) {
    v8::Local<v8::String> key = v8::String::NewFromUtf8(isolate, name).ToLocalChecked();
    hooks->Set(context, key, v8::FunctionTemplate::New(isolate, callback)->GetFunction(context).ToLocalChecked()).Check();
  };
  add("recurseNatively", RecurseNatively);
  add("writeProtectedPage", WriteProtectedPage);
  add("writeNull", WriteNull);
  add("overflowHandlerInstalled", OverflowHandlerInstalledHook);
  add("altStackSize", AltStackSize);
  exports->Set(context, v8::String::NewFromUtf8(isolate, "testHooks").ToLocalChecked(), hooks).Check();
}

}  // namespace fringe
