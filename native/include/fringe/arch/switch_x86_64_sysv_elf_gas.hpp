// Context switch for x86_64, System V ABI, ELF, GNU assembler syntax.
//
// Saved context (what a suspended stack pointer points at)
// ---------------------------------------------------------
//
//   offset  size  contents
//   sp+0    8     %rbp of the suspended side
//   sp+8    8     address where the suspended side continues (a label in swap,
//                 or trampoline_2+1 for a fresh stack)
//   sp+144        the suspended side's %rsp before it switched: the context
//                 sits below its 128-byte red zone
//
// Every other register is either declared clobbered by the inline asm (so
// the compiler spills exactly what is live around the switch, libfringe's
// "compiler-assisted spilling") or carries a value across: %rdi the word
// passed to the other side, %rsi the stack pointer of the side that left.
//
// ABI facts this file relies on
// -----------------------------
// * The stack grows down; %rsp must be 16-byte aligned at a call, so a
//   function sees %rsp % 16 == 8 at its first instruction. V8 and SSE code
//   use movaps on stack slots and crash on a misaligned frame.
// * Leaf functions may use the 128-byte red zone below %rsp, and the compiler
//   does not know that the asm uses the stack: the context goes below the
//   red zone.
// * %rbx, %rbp, %r12-%r15 are callee-saved. %rbp cannot be named as a clobber
//   while it is the frame pointer, so it is saved by hand.
// * The x87 register stack is empty at every call boundary; MMX/x87 and all
//   vector registers are caller-saved, so they are simply clobbered.
// * The floating-point environment (the control bits of MXCSR and the x87
//   control word: rounding mode, exception masks, flush-to-zero) belongs to
//   the thread, not to a side of a switch: the switch neither saves nor
//   loads it, as in libfringe and corosensei (Boost.Context saves and loads
//   both on every switch). A generator that calls fesetround() changes the
//   mode of the code that resumes it, as a called function that does not
//   restore it would. The reason is cost: `stmxcsr` alone is 3.5 ns per
//   switch on AMD EPYC (Zen), where the rest of a round trip is 2 ns; reading
//   MXCSR is the only way to know whether a side changed it.
//
// Fresh stack, as init_stack() leaves it (base = highest address)
// ---------------------------------------------------------------
//
//   base-8    0                  padding: keeps the entry call 16-aligned
//   base-16   entry              the function trampoline_2 calls
//   base-24   trampoline_1 + 2   return address of trampoline_2's frame
//   base-32   link slot          where the resumer's frame continues (below)
//   ...       unused             the red zone of the %rsp = base-32 that the
//                                first switch ends with
//   base-168  trampoline_2 + 1   where the first switch lands
//   base-176  base - 32          %rbp loaded by the first switch
//                                <- initial stack pointer
//
// Call stack splicing (DWARF CFI)
// -------------------------------
// A DWARF unwinder (gdb, libgcc, libunwind) walking up from the generator's
// frames reaches trampoline_2, whose CFI says "CFA = %rbp + 16, caller's %rbp
// at CFA - 16, return address at CFA - 8". Its %rbp is base-32, so the next
// frame is "trampoline_1 + 2" with %rbp = the link slot's content. Every resume
// stores there the address of the resumer's saved %rbp, with its continuation
// address just above it, and trampoline_1's CFI is the same rule again: so the
// frame after trampoline_1 is the code that called resume(), with its own %rbp.
// (The unwinder then sees the resumer with %rsp 128 bytes too low; with frame
// pointers its CFA comes from %rbp and the walk goes on correctly.)
// The frame-pointer chain that perf follows is the same chain.
//
// gdb refuses a frame whose CFA is "inner" to (below) the frame it came from,
// except for a function named __morestack (gcc split stacks). trampoline_1 is
// therefore a local symbol called __morestack, as in libfringe.
//
// The return address for trampoline_2's frame is trampoline_1 + 2, the end of
// its two nops: unwinders look up "return address - 1", which falls inside.
//
// Symbols live in a COMDAT group so that this header can be included by any
// number of translation units; they are hidden so they never leave the binary.
// This file only contains inline asm: the including translation unit's own
// .note.GNU-stack marks the stack non-executable.

#ifndef FRINGE_ARCH_SWITCH_X86_64_SYSV_ELF_GAS_HPP
#define FRINGE_ARCH_SWITCH_X86_64_SYSV_ELF_GAS_HPP

#include <cstddef>
#include <cstdint>

#if defined(__CET__) && (__CET__ & 1)
#define FRINGE_ENDBR "endbr64\n\t"
#else
#define FRINGE_ENDBR ""
#endif

// The trampolines. trampoline_1 is never executed; it only carries CFI.
asm(R"(
    .pushsection .text.fringe_x86_64_trampolines,"axG",@progbits,fringe_x86_64_trampolines,comdat
    .p2align 4
    .type __morestack, @function
    .local __morestack
__morestack:
.Lfringe_x86_64_t1:
    .cfi_startproc
    # CFA = %rbp + 16; the caller's %rbp is saved at CFA-16, its return
    # address at CFA-8 (the CIE's default rule for %rip).
    .cfi_def_cfa %rbp, 16
    .cfi_offset %rbp, -16
    # Two nops: the fake return address trampoline_1+2 minus one lands here.
    nop
    nop
    .cfi_endproc
    .size __morestack, .-__morestack
    # Pad to 16 bytes without .p2align, so the distance below is constant.
    .skip 14, 0xcc
    .globl fringe_x86_64_trampoline_2
    .weak fringe_x86_64_trampoline_2
    .hidden fringe_x86_64_trampoline_2
    .type fringe_x86_64_trampoline_2, @function
fringe_x86_64_trampoline_2:
.Lfringe_x86_64_t2:
    .cfi_startproc
    # Same rule as trampoline_1: here %rbp = base-32, so the caller is
    # "trampoline_1 + 2" whose %rbp is the content of the link slot.
    .cfi_def_cfa %rbp, 16
    .cfi_offset %rbp, -16
    # Not executed: the first switch lands on the next instruction, and a
    # return address equal to the symbol's start would confuse gdb.
    nop
)" FRINGE_ENDBR R"(
    # %rsp = base-32 here; the entry function is at base-16. The call pushes
    # its return address at base-40, so the entry sees %rsp % 16 == 8.
    # %rdi (the word passed by the switch) and %rsi (the resumer's stack
    # pointer) become the entry's two arguments untouched.
    movq 16(%rsp), %rax
    call *%rax
    # The entry never returns: it switches away for the last time.
    ud2
    .cfi_endproc
    .size fringe_x86_64_trampoline_2, .-fringe_x86_64_trampoline_2
    .if .Lfringe_x86_64_t2 - .Lfringe_x86_64_t1 - 16
    .error "trampoline_1 must be 16 bytes before trampoline_2"
    .endif
    .popsection
)");

extern "C" void fringe_x86_64_trampoline_2();

namespace fringe {
namespace arch {

/// The function a fresh stack starts in. `arg` is the word passed by the
/// first switch; `resumer_sp` the stack pointer of the context that switched.
/// It must never return: it ends by switching away for the last time.
using EntryFunction = void (*)(std::uintptr_t arg, void* resumer_sp);

/// What a switch hands back: the word the other side passed, and the other
/// side's stack pointer, to switch to when it is time to go back.
struct Transfer {
  std::uintptr_t arg;
  void* sp;
};

constexpr std::size_t kStackAlignment = 16;
/// trampoline_1 sits this many bytes before trampoline_2 (checked by the
/// assembler). It is a local symbol, and other translation units' copies of
/// the COMDAT group are discarded, so it is only ever reached from t2.
constexpr std::uintptr_t kTrampoline1Distance = 16;
/// Bytes init_stack() uses at the top of a stack.
constexpr std::size_t kInitialFrameSize = 176;
/// Bytes a switch writes below the stack pointer of the side that leaves.
constexpr std::size_t kSwitchFrameSize = 144;

/// The slot at the bottom of a generator's call stack that points at the
/// resumer's frame; see "Call stack splicing" above.
inline void** link_slot(void* base) {
  return reinterpret_cast<void**>(static_cast<char*>(base) - 32);
}

/// Prepares the stack whose highest address is `base` (16-byte aligned) so
/// that the first swap to the returned stack pointer calls `entry(arg, sp)`.
///
/// Safety: [base - kInitialFrameSize, base) must be writable memory that
/// nothing else uses while the stack is live.
inline void* init_stack(void* base, EntryFunction entry) {
  auto* top = static_cast<std::uintptr_t*>(base);
  std::uintptr_t t2 = reinterpret_cast<std::uintptr_t>(&fringe_x86_64_trampoline_2);
  std::uintptr_t t1 = t2 - kTrampoline1Distance;
  top[-1] = 0;
  top[-2] = reinterpret_cast<std::uintptr_t>(entry);
  top[-3] = t1 + 2;
  top[-4] = 0;  // link slot: written by every resume
  // The saved context sits where a switch leaves it: 144 bytes below the
  // stack pointer the first switch ends with (base - 32).
  top[-21] = t2 + 1;
  top[-22] = reinterpret_cast<std::uintptr_t>(&top[-4]);
  return &top[-22];
}

// The switch. Both variants:
//   1. move %rsp 144 bytes down, past the red zone, store %rbp and the
//      continuation address there and hand %rsp to the other side;
//   2. (swap_link only) store the address of the saved %rbp in the new
//      stack's link slot;
//   3. load the new %rsp, load its %rbp, step %rsp back up by 144 and jump
//      to its continuation;
//   4. when something switches back, continue at label 1.
#define FRINGE_X86_64_SWITCH(LINK)                                          \
  /* Reserve the context below the red zone; the side that switches back */ \
  /* to us adds the 144 bytes back as it leaves. */                        \
  "leaq -144(%%rsp), %%rsp\n\t"                                             \
  "leaq 1f(%%rip), %%rax\n\t"                                              \
  "movq %%rax, 8(%%rsp)\n\t"     /* where this side continues */           \
  "movq %%rbp, (%%rsp)\n\t"                                                \
  LINK                                                                     \
  "movq %%rsp, %%rsi\n\t"        /* this side's sp, for the other side */  \
  "movq %%rdx, %%rsp\n\t"        /* now on the other stack */              \
  "movq (%%rsp), %%rbp\n\t"                                                \
  "movq 8(%%rsp), %%rax\n\t"                                               \
  "leaq 144(%%rsp), %%rsp\n\t"                                             \
  "jmpq *%%rax\n"                /* no ret: no return-stack mismatch */   \
  "1:\n\t"                                                                 \
  FRINGE_ENDBR

#if defined(__AVX512F__)
#define FRINGE_X86_64_AVX512_CLOBBERS                                       \
  , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", \
      "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30",        \
      "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"
#else
#define FRINGE_X86_64_AVX512_CLOBBERS
#endif

#define FRINGE_X86_64_CLOBBERS                                              \
  "rax", "rbx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",       \
      "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)",  \
      "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7", "xmm0",       \
      "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",       \
      "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc",   \
      "fpsr", "memory" FRINGE_X86_64_AVX512_CLOBBERS

/// Switches to `new_sp`, passing `arg`, and records this side's position in
/// `*link` so that unwinders continue from the new stack's bottom into this
/// frame. Returns when something switches back.
///
/// Safety: `new_sp` is a stack pointer produced by init_stack() or handed out
/// by a switch, and not resumed since; `link` is that stack's link_slot().
__attribute__((always_inline)) inline Transfer swap_link(std::uintptr_t arg, void* new_sp,
                                                         void** link) {
  void* sp;
  asm volatile(FRINGE_X86_64_SWITCH("movq %%rsp, (%%rcx)\n\t")
               : "+D"(arg), "=S"(sp), "+d"(new_sp), "+c"(link)
               :
               : FRINGE_X86_64_CLOBBERS);
  return Transfer{arg, sp};
}

/// Switches to `new_sp`, passing `arg`, without touching any link slot: the
/// direction from a generator back to its resumer.
///
/// Safety: as swap_link().
__attribute__((always_inline)) inline Transfer swap(std::uintptr_t arg, void* new_sp) {
  void* sp;
  asm volatile(FRINGE_X86_64_SWITCH("")
               : "+D"(arg), "=S"(sp), "+d"(new_sp)
               :
               : "rcx", FRINGE_X86_64_CLOBBERS);
  return Transfer{arg, sp};
}

#undef FRINGE_X86_64_SWITCH

}  // namespace arch
}  // namespace fringe

#endif  // FRINGE_ARCH_SWITCH_X86_64_SYSV_ELF_GAS_HPP
