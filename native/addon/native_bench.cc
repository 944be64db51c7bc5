// See native_bench.h.

#include "native_bench.h"

#include "v8/v8_compat.h"

#include <ucontext.h>

#include <chrono>
#include <cstring>
#include <string>

#include "fringe/context.hpp"
#include "fringe/generator.hpp"
#include "fringe/stack.hpp"

namespace fringe {
namespace {

using Clock = std::chrono::steady_clock;

double NsPerOp(Clock::time_point start, Clock::time_point end, double ops) {
  return std::chrono::duration<double, std::nano>(end - start).count() / ops;
}

// The other side of the raw switch benchmark: hands back its input + 1.
[[noreturn]] void Loopback(std::uintptr_t arg, void* resumer) {
  for (;;) {
    arch::Transfer back = arch::swap(arg + 1, resumer);
    arg = back.arg;
    resumer = back.sp;
  }
}

double BenchSwap(double iterations) {
  const auto count = static_cast<std::uint64_t>(iterations);
  OsStack stack(64 * 1024);
  void* sp = arch::init_stack(stack.base(), &Loopback);
  void** link = arch::link_slot(stack.base());
  std::uintptr_t value = 0;
  auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; i++) {
    arch::Transfer t = arch::swap_link(value, sp, link);
    sp = t.sp;
    value = t.arg;
  }
  auto end = Clock::now();
  // The loopback is left suspended; its stack is simply unmapped.
  if (value != count) return -1;
  return NsPerOp(start, end, iterations);
}

double BenchGenerator(double iterations) {
  const auto count = static_cast<std::uint64_t>(iterations);
  Generator<std::uintptr_t, std::uintptr_t> gen(OsStack(64 * 1024),
                                                [](Yielder<std::uintptr_t, std::uintptr_t>& y, std::uintptr_t x) {
                                                  for (;;) x = y.suspend(x + 1);
                                                });
  std::uintptr_t value = 0;
  auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; i++) value = *gen.resume(value);
  auto end = Clock::now();
  if (value != count) return -1;
  return NsPerOp(start, end, iterations);
}

ucontext_t swap_main, swap_other;
void SwapcontextLoop() {
  for (;;) swapcontext(&swap_other, &swap_main);
}

double BenchSwapcontext(double iterations) {
  // volatile: getcontext() returns twice as far as the compiler knows.
  const volatile std::uint64_t count = static_cast<std::uint64_t>(iterations);
  OsStack stack(64 * 1024);
  getcontext(&swap_other);
  swap_other.uc_stack.ss_sp = stack.limit();
  swap_other.uc_stack.ss_size = stack.size();
  swap_other.uc_link = nullptr;
  makecontext(&swap_other, &SwapcontextLoop, 0);
  auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; i++) swapcontext(&swap_main, &swap_other);
  auto end = Clock::now();
  return NsPerOp(start, end, iterations);
}

__attribute__((noinline)) std::uintptr_t AddOne(std::uintptr_t x) {
  asm volatile("");
  return x + 1;
}
std::uintptr_t (*volatile add_one)(std::uintptr_t) = &AddOne;

double BenchCall(double iterations) {
  const auto count = static_cast<std::uint64_t>(iterations);
  std::uintptr_t (*fn)(std::uintptr_t) = add_one;
  std::uintptr_t value = 0;
  auto start = Clock::now();
  for (std::uint64_t i = 0; i < count; i++) value = fn(value);
  auto end = Clock::now();
  if (value != count) return -1;
  return NsPerOp(start, end, iterations);
}

void BenchNative(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsNumber()) {
    isolate->ThrowException(v8::Exception::TypeError(
        v8::String::NewFromUtf8Literal(isolate, "Expected benchNative(kind: string, iterations: number)")));
    return;
  }
  v8::String::Utf8Value kind(isolate, info[0]);
  double iterations = info[1].As<v8::Number>()->Value();
  double result = -1;
  if (std::strcmp(*kind, "swap") == 0) result = BenchSwap(iterations);
  else if (std::strcmp(*kind, "generator") == 0) result = BenchGenerator(iterations);
  else if (std::strcmp(*kind, "swapcontext") == 0) result = BenchSwapcontext(iterations);
  else if (std::strcmp(*kind, "call") == 0) result = BenchCall(iterations);
  else {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8Literal(isolate, "Unknown native benchmark")));
    return;
  }
  info.GetReturnValue().Set(result);
}

}  // namespace

void InitializeNativeBench(v8::Local<v8::Context> context, v8::Local<v8::Object> exports) {
  v8::Isolate* isolate = IsolateOf(context);
  exports
      ->Set(context, v8::String::NewFromUtf8Literal(isolate, "benchNative"),
            v8::FunctionTemplate::New(isolate, BenchNative)->GetFunction(context).ToLocalChecked())
      .Check();
}

}  // namespace fringe
