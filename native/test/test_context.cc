// The raw context switch: init_stack, swap_link, swap.

#include <cfenv>
#include <cstdint>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "check.hpp"
#include "fringe/context.hpp"
#include "fringe/stack.hpp"

namespace arch = fringe::arch;

namespace {

// State shared with the entry functions below (they cannot capture).
struct Loopback {
  int calls = 0;
  std::uintptr_t frame_address = 0;
};
Loopback loopback;

[[noreturn]] void echo_plus_one(std::uintptr_t arg, void* resumer) {
  loopback.frame_address = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  for (;;) {
    loopback.calls++;
    arch::Transfer back = arch::swap(arg + 1, resumer);
    arg = back.arg;
    resumer = back.sp;
  }
}

}  // namespace

TEST(context) {
  fringe::OsStack stack(64 * 1024);
  loopback = Loopback{};
  void* sp = arch::init_stack(stack.base(), &echo_plus_one);
  void** link = arch::link_slot(stack.base());
  for (std::uintptr_t i = 0; i < 1000; i++) {
    arch::Transfer t = arch::swap_link(i * 3, sp, link);
    CHECK(t.arg == i * 3 + 1);
    sp = t.sp;
    // The suspended side's stack pointer is inside its stack, and the link
    // slot points into this (the resumer's) stack.
    CHECK(static_cast<char*>(sp) > static_cast<char*>(stack.limit()));
    CHECK(static_cast<char*>(sp) < static_cast<char*>(stack.base()));
    CHECK(!(static_cast<char*>(*link) >= static_cast<char*>(stack.limit()) &&
            static_cast<char*>(*link) < static_cast<char*>(stack.base())));
  }
  CHECK(loopback.calls == 1000);
  // The entry function was entered with its return address at a 16-byte
  // aligned address, as the ABI requires; its frame pointer sits one more
  // word below.
  CHECK((loopback.frame_address + 2 * sizeof(void*)) % 16 == 0);
}

namespace {

std::uintptr_t simd_result;

// Stores through aligned SSE moves to a 16-byte aligned local: movaps faults
// if the stack is misaligned (what libfringe's context_simd test checks).
__attribute__((noinline)) std::uintptr_t aligned_simd_work(std::uintptr_t seed) {
#if defined(__SSE__)
  alignas(16) float values[8];
  __m128 a = _mm_set1_ps(static_cast<float>(seed));
  _mm_store_ps(values, a);
  _mm_store_ps(values + 4, _mm_add_ps(a, _mm_set1_ps(1.0f)));
  asm volatile("" : : "r"(values) : "memory");
  return static_cast<std::uintptr_t>(values[0] + values[7]);
#else
  alignas(16) volatile double values[2] = {static_cast<double>(seed), static_cast<double>(seed + 1)};
  return static_cast<std::uintptr_t>(values[0] + values[1]);
#endif
}

[[noreturn]] void simd_entry(std::uintptr_t arg, void* resumer) {
  for (;;) {
    simd_result = aligned_simd_work(arg);
    arch::Transfer back = arch::swap(simd_result, resumer);
    arg = back.arg;
    resumer = back.sp;
  }
}

}  // namespace

TEST(context_simd) {
  fringe::OsStack stack(64 * 1024);
  void* sp = arch::init_stack(stack.base(), &simd_entry);
  for (std::uintptr_t i = 1; i < 100; i++) {
    arch::Transfer t = arch::swap_link(i, sp, arch::link_slot(stack.base()));
    sp = t.sp;
    CHECK(t.arg == 2 * i + 1);
  }
}

namespace {

struct FpObservation {
  int round_before = -1;  // rounding mode the generator saw when resumed
  std::uint32_t mxcsr_rc = 0;
};
FpObservation fp_seen;

std::uint32_t mxcsr_rounding() {
#if defined(__SSE__)
  return _mm_getcsr() & 0x6000;
#else
  return 0;
#endif
}

// Sets its own rounding mode (x87 and SSE, through fesetround) once and
// reports what it sees at every resume.
[[noreturn]] void rounding_entry(std::uintptr_t, void* resumer) {
  std::fesetround(FE_UPWARD);
  for (;;) {
    arch::Transfer back = arch::swap(0, resumer);
    resumer = back.sp;
    fp_seen.round_before = std::fegetround();
    fp_seen.mxcsr_rc = mxcsr_rounding();
  }
}

std::uint16_t x87_control_word() {
  std::uint16_t cw;
  asm volatile("fnstcw %0" : "=m"(cw));
  return cw;
}

}  // namespace

// The x87 control word and the MXCSR control bits are callee-saved: each side
// of a switch keeps its own.
TEST(fp_control_state) {
  fringe::OsStack stack(64 * 1024);
  std::fesetround(FE_TONEAREST);
  void* sp = arch::init_stack(stack.base(), &rounding_entry);
  void** link = arch::link_slot(stack.base());
  const std::uint16_t cw_before = x87_control_word();
  sp = arch::swap_link(0, sp, link).sp;  // generator sets FE_UPWARD and suspends
  CHECK(std::fegetround() == FE_TONEAREST);
  CHECK(x87_control_word() == cw_before);
  CHECK(mxcsr_rounding() == 0);

  std::fesetround(FE_DOWNWARD);  // the resumer changes its own mode
  sp = arch::swap_link(0, sp, link).sp;
  CHECK(fp_seen.round_before == FE_UPWARD);  // the generator kept its mode
#if defined(__SSE__)
  CHECK(fp_seen.mxcsr_rc == 0x4000);  // round up
#endif
  CHECK(std::fegetround() == FE_DOWNWARD);  // and the resumer its own
  std::fesetround(FE_TONEAREST);

  // Status flags are caller-saved: a flag raised by the generator does not
  // force a reload, and the switch still works when the flags differ.
  volatile double x = 1.0, y = 3.0;
  volatile double z = x / y;  // raises "inexact" on this side
  (void)z;
  sp = arch::swap_link(0, sp, link).sp;
  CHECK(fp_seen.round_before == FE_UPWARD);
  CHECK(std::fegetround() == FE_TONEAREST);
}

namespace {

[[noreturn]] void observe_entry(std::uintptr_t, void* resumer) {
  for (;;) {
    fp_seen.round_before = std::fegetround();
    resumer = arch::swap(0, resumer).sp;
  }
}

}  // namespace

// A fresh stack starts with the control words of the code that created it.
TEST(fp_control_inherited_at_creation) {
  fringe::OsStack stack(64 * 1024);
  std::fesetround(FE_TOWARDZERO);
  void* sp = arch::init_stack(stack.base(), &observe_entry);
  std::fesetround(FE_TONEAREST);
  fp_seen.round_before = -1;
  sp = arch::swap_link(0, sp, arch::link_slot(stack.base())).sp;
  CHECK(fp_seen.round_before == FE_TOWARDZERO);
  CHECK(std::fegetround() == FE_TONEAREST);
  // From then on it keeps that mode as its own.
  sp = arch::swap_link(0, sp, arch::link_slot(stack.base())).sp;
  CHECK(fp_seen.round_before == FE_TOWARDZERO);
  CHECK(std::fegetround() == FE_TONEAREST);
}
