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
  std::uint32_t hw_rounding = 0;
  std::uint16_t x87_cw = 0;
};
FpObservation fp_seen;

// The rounding-mode bits of the hardware register: MXCSR RC on x86 with SSE,
// FPCR RMode on aarch64 (0 where there is none to read).
std::uint32_t hw_rounding() {
#if defined(__SSE__)
  return _mm_getcsr() & 0x6000;
#elif defined(__aarch64__)
  std::uint64_t fpcr;
  asm volatile("mrs %0, fpcr" : "=r"(fpcr));
  return static_cast<std::uint32_t>(fpcr & 0xc00000);
#else
  return 0;
#endif
}
#if defined(__SSE__)
constexpr std::uint32_t kHwRoundUpward = 0x4000;    // MXCSR RC = 10
constexpr std::uint32_t kHwRoundDownward = 0x2000;  // MXCSR RC = 01
#elif defined(__aarch64__)
constexpr std::uint32_t kHwRoundUpward = 0x400000;    // FPCR RMode = 01 (RP)
constexpr std::uint32_t kHwRoundDownward = 0x800000;  // FPCR RMode = 10 (RM)
#endif

// The x87 control word (x86; 0 elsewhere).
std::uint16_t x87_control_word() {
#if defined(__i386__) || defined(__x86_64__)
  std::uint16_t cw;
  asm volatile("fnstcw %0" : "=m"(cw));
  return cw;
#else
  return 0;
#endif
}

// Sets the rounding mode (x87 and SSE, through fesetround) to upward once,
// then reports what it sees at every resume.
[[noreturn]] void rounding_entry(std::uintptr_t, void* resumer) {
  std::fesetround(FE_UPWARD);
  for (;;) {
    arch::Transfer back = arch::swap(0, resumer);
    resumer = back.sp;
    fp_seen.round_before = std::fegetround();
    fp_seen.hw_rounding = hw_rounding();
    fp_seen.x87_cw = x87_control_word();
  }
}

}  // namespace

// The floating-point environment (MXCSR control bits and the x87 control
// word on x86, FPCR on aarch64) belongs to the thread, as in libfringe and
// corosensei: a switch carries it across in both directions, untouched.
// Saving it per side (Boost.Context's choice) would fail every check below.
TEST(fp_environment_belongs_to_the_thread) {
  fringe::OsStack stack(64 * 1024);
  std::fesetround(FE_TONEAREST);
  void* sp = arch::init_stack(stack.base(), &rounding_entry);
  void** link = arch::link_slot(stack.base());
  sp = arch::swap_link(0, sp, link).sp;  // generator sets FE_UPWARD and suspends
  CHECK(std::fegetround() == FE_UPWARD);  // what it set is the thread's mode
#if defined(__SSE__) || defined(__aarch64__)
  CHECK(hw_rounding() == kHwRoundUpward);
#endif
  [[maybe_unused]] const std::uint16_t cw_upward = x87_control_word();

  std::fesetround(FE_DOWNWARD);  // the resumer changes the thread's mode
  const std::uint16_t cw_downward = x87_control_word();
  sp = arch::swap_link(0, sp, link).sp;
  CHECK(fp_seen.round_before == FE_DOWNWARD);  // and the generator sees it
#if defined(__SSE__) || defined(__aarch64__)
  CHECK(fp_seen.hw_rounding == kHwRoundDownward);
#endif
  CHECK(fp_seen.x87_cw == cw_downward);
  CHECK(std::fegetround() == FE_DOWNWARD);
#if defined(__i386__) || defined(__x86_64__)
  CHECK(cw_upward != cw_downward);
#endif
  std::fesetround(FE_TONEAREST);

  // Status flags are caller-saved and travel with the thread too: a switch
  // with "inexact" raised on one side works and leaves the mode alone.
  volatile double x = 1.0, y = 3.0;
  volatile double z = x / y;
  (void)z;
  sp = arch::swap_link(0, sp, link).sp;
  CHECK(fp_seen.round_before == FE_TONEAREST);
  CHECK(std::fegetround() == FE_TONEAREST);
}

namespace {

// Writes garbage into every callee-saved register the switch leaves to the
// compiler, then switches back without restoring them (the entry never
// returns, so its prologue's saves are never undone).
[[noreturn]] void trash_callee_saved_entry(std::uintptr_t, void* resumer) {
  for (;;) {
#if defined(__aarch64__)
    asm volatile(
        "mov x19, #0x5a5a\n\tmov x20, x19\n\tmov x21, x19\n\tmov x22, x19\n\t"
        "mov x23, x19\n\tmov x24, x19\n\tmov x25, x19\n\tmov x26, x19\n\t"
        "mov x27, x19\n\tmov x28, x19\n\tfmov d8, x19\n\tfmov d9, x19\n\t"
        "fmov d10, x19\n\tfmov d11, x19\n\tfmov d12, x19\n\tfmov d13, x19\n\t"
        "fmov d14, x19\n\tfmov d15, x19" ::
            : "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "v8", "v9",
              "v10", "v11", "v12", "v13", "v14", "v15");
#elif defined(__x86_64__)
    asm volatile(
        "movq $0x5a5a, %%rbx\n\tmovq %%rbx, %%r12\n\tmovq %%rbx, %%r13\n\t"
        "movq %%rbx, %%r14\n\tmovq %%rbx, %%r15" ::
            : "rbx", "r12", "r13", "r14", "r15");
#elif defined(__i386__)
    asm volatile("movl $0x5a5a, %%ebx" ::: "ebx");
#endif
    resumer = arch::swap(0, resumer).sp;
  }
}

volatile std::uint64_t int_inputs[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
volatile double fp_inputs[8] = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5};

}  // namespace

// Values the resumer keeps across a switch survive a generator that trashes
// every callee-saved register: the switch declares them clobbered, so the
// compiler keeps nothing live in them (drop one from the clobber list and
// the compiler parks a value there, and this fails).
TEST(callee_saved_registers_survive_a_switch) {
  fringe::OsStack stack(64 * 1024);
  void* sp = arch::init_stack(stack.base(), &trash_callee_saved_entry);
  std::uint64_t a = int_inputs[0], b = int_inputs[1], c = int_inputs[2], d = int_inputs[3],
                e = int_inputs[4], f = int_inputs[5], g = int_inputs[6], h = int_inputs[7],
                i = int_inputs[8], j = int_inputs[9], k = int_inputs[10], l = int_inputs[11];
  double p = fp_inputs[0], q = fp_inputs[1], r = fp_inputs[2], s = fp_inputs[3], t = fp_inputs[4],
         u = fp_inputs[5], v = fp_inputs[6], w = fp_inputs[7];
  for (int round = 0; round < 3; round++) {
    sp = arch::swap_link(0, sp, arch::link_slot(stack.base())).sp;
    CHECK(a == 1 && b == 2 && c == 3 && d == 4 && e == 5 && f == 6);
    CHECK(g == 7 && h == 8 && i == 9 && j == 10 && k == 11 && l == 12);
    CHECK(p == 0.5 && q == 1.5 && r == 2.5 && s == 3.5);
    CHECK(t == 4.5 && u == 5.5 && v == 6.5 && w == 7.5);
    a++, b++, c++, d++, e++, f++, g++, h++, i++, j++, k++, l++;
    p += 1, q += 1, r += 1, s += 1, t += 1, u += 1, v += 1, w += 1;
    a--, b--, c--, d--, e--, f--, g--, h--, i--, j--, k--, l--;
    p -= 1, q -= 1, r -= 1, s -= 1, t -= 1, u -= 1, v -= 1, w -= 1;
  }
}
