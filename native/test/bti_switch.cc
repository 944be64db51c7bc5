// The switch in a library built with -mbranch-protection=standard and
// nothing else: no start files, no libgcc (whose pieces lack the BTI note),
// so the linker marks it BTI|PAC and the dynamic linker maps its code
// PROT_BTI (guarded) on a CPU with BTI. Every indirect branch into it must
// then land on a landing pad: the switch's `br` to its continuation and to
// trampoline_2 need their `bti j`, and the pac-ret functions around the
// switch must authenticate on their own stacks. bti_switch_main.cc runs it.

#include <cstdint>

#include "fringe/context.hpp"

namespace arch = fringe::arch;

namespace {

[[noreturn]] void plus_one(std::uintptr_t arg, void* resumer) {
  for (;;) {
    arch::Transfer back = arch::swap(arg + 1, resumer);
    arg = back.arg;
    resumer = back.sp;
  }
}

alignas(16) char stack_memory[16384];

}  // namespace

// `n` round trips to a fresh stack; returns what came back last (n).
extern "C" __attribute__((visibility("default"))) long bti_switch_round_trips(long n) {
  void* base = stack_memory + sizeof stack_memory;
  void* sp = arch::init_stack(base, &plus_one);
  std::uintptr_t value = 0;
  for (long i = 0; i < n; i++) {
    arch::Transfer t = arch::swap_link(value, sp, arch::link_slot(base));
    sp = t.sp;
    value = t.arg;
  }
  return static_cast<long>(value);
}

// The positive control: an indirect branch to an instruction that is not a
// landing pad. In a guarded library this raises SIGILL.
extern "C" __attribute__((visibility("default"))) long bti_switch_unpadded_branch() {
  long r;
  asm volatile("adr x9, 1f\n\tbr x9\n1:\n\tmov %0, #1" : "=r"(r) : : "x9");
  return r;
}
