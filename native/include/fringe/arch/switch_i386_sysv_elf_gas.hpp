// Context switch for i386, System V ABI (Linux), ELF, GNU assembler syntax.
//
// Saved context (what a suspended stack pointer points at)
// ---------------------------------------------------------
//
//   offset  size  contents
//   sp+0    4     %ebp of the suspended side
//   sp+4    4     address where the suspended side continues
//
// %edi carries the word passed to the other side, %esi the stack pointer of
// the side that left; every other register is declared clobbered.
//
// ABI facts this file relies on
// -----------------------------
// * Arguments are passed on the stack. Linux compilers keep %esp 16-byte
//   aligned at every call (so %esp % 16 == 12 at a function's first
//   instruction); SSE code generated under that assumption crashes otherwise.
// * There is no red zone on i386.
// * %ebx, %esi, %edi and %ebp are callee-saved. In PIC
//   code %ebx holds the GOT pointer; gcc saves it itself when it is named as a
//   clobber. %ebp is saved by hand because it may be the frame pointer.
// * PIC code cannot take a label's address with an absolute relocation, so
//   the continuation address comes from `call 9f; 9: pop`: a call to the next
//   instruction, which processors do not count as a call for return
//   prediction.
// * The floating-point environment (x87 control word, MXCSR control bits)
//   belongs to the thread and is neither saved nor loaded: see "ABI facts"
//   in switch_x86_64_sysv_elf_gas.hpp.
//
// Fresh stack, as init_stack() leaves it (base = highest address)
// ---------------------------------------------------------------
//
//   base-4    0                  padding
//   base-8    entry              the function trampoline_2 calls
//   base-12   trampoline_1 + 2   return address of trampoline_2's frame
//   base-16   link slot          where the resumer's frame continues
//   base-20   trampoline_2 + 1   where the first switch lands
//   base-24   base - 16          %ebp popped by the first switch
//                                <- initial stack pointer
//
// trampoline_2 runs with %esp = base-16, reserves 8 bytes, pushes the two
// arguments and calls: the entry sees %esp = base-36, so %esp + 4 is 16-byte
// aligned as the ABI requires.
//
// Call stack splicing works as on x86_64 (see switch_x86_64_sysv_elf_gas.hpp)
// with CFA = %ebp + 8, the caller's %ebp at CFA-8 and the return address at
// CFA-4.

#ifndef FRINGE_ARCH_SWITCH_I386_SYSV_ELF_GAS_HPP
#define FRINGE_ARCH_SWITCH_I386_SYSV_ELF_GAS_HPP

#include <cstddef>
#include <cstdint>

#if defined(__CET__) && (__CET__ & 1)
#define FRINGE_ENDBR "endbr32\n\t"
#else
#define FRINGE_ENDBR ""
#endif

asm(R"(
    .pushsection .text.fringe_i386_trampolines,"axG",@progbits,fringe_i386_trampolines,comdat
    .p2align 4
    .type __morestack, @function
    .local __morestack
__morestack:
.Lfringe_i386_t1:
    .cfi_startproc
    .cfi_def_cfa %ebp, 8
    .cfi_offset %ebp, -8
    nop
    nop
    .cfi_endproc
    .size __morestack, .-__morestack
    # Pad to 16 bytes without .p2align, so the distance below is constant.
    .skip 14, 0xcc
    .globl fringe_i386_trampoline_2
    .weak fringe_i386_trampoline_2
    .hidden fringe_i386_trampoline_2
    .type fringe_i386_trampoline_2, @function
fringe_i386_trampoline_2:
.Lfringe_i386_t2:
    .cfi_startproc
    .cfi_def_cfa %ebp, 8
    .cfi_offset %ebp, -8
    nop
)" FRINGE_ENDBR R"(
    subl $8, %esp
    pushl %esi
    pushl %edi
    call *8(%ebp)
    ud2
    .cfi_endproc
    .size fringe_i386_trampoline_2, .-fringe_i386_trampoline_2
    .if .Lfringe_i386_t2 - .Lfringe_i386_t1 - 16
    .error "trampoline_1 must be 16 bytes before trampoline_2"
    .endif
    .popsection
)");

extern "C" void fringe_i386_trampoline_2();

namespace fringe {
namespace arch {

using EntryFunction = void (*)(std::uintptr_t arg, void* resumer_sp);

struct Transfer {
  std::uintptr_t arg;
  void* sp;
};

constexpr std::size_t kStackAlignment = 16;
constexpr std::uintptr_t kTrampoline1Distance = 16;
constexpr std::size_t kInitialFrameSize = 24;
constexpr std::size_t kSwitchFrameSize = 8;

inline void** link_slot(void* base) {
  return reinterpret_cast<void**>(static_cast<char*>(base) - 16);
}

inline void* init_stack(void* base, EntryFunction entry) {
  auto* top = static_cast<std::uint32_t*>(base);
  std::uint32_t t2 = reinterpret_cast<std::uint32_t>(&fringe_i386_trampoline_2);
  std::uint32_t t1 = t2 - kTrampoline1Distance;
  top[-1] = 0;
  top[-2] = reinterpret_cast<std::uint32_t>(entry);
  top[-3] = t1 + 2;
  top[-4] = 0;  // link slot
  top[-5] = t2 + 1;
  top[-6] = reinterpret_cast<std::uint32_t>(&top[-4]);
  return &top[-6];
}

#if defined(__SSE__)
#define FRINGE_I386_SSE_CLOBBERS \
  , "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"
#else
#define FRINGE_I386_SSE_CLOBBERS
#endif

#define FRINGE_I386_SWITCH(LINK)                                            \
  "call 9f\n"                                                              \
  "9:\n\t"                                                                 \
  "popl %%eax\n\t"                                                         \
  "addl $(1f-9b), %%eax\n\t"                                               \
  "pushl %%eax\n\t"            /* where this side continues */             \
  "pushl %%ebp\n\t"                                                        \
  LINK                                                                     \
  "movl %%esp, %%esi\n\t"                                                  \
  "movl %%edx, %%esp\n\t"      /* now on the other stack */                \
  "popl %%ebp\n\t"                                                         \
  "popl %%eax\n\t"                                                         \
  "jmp *%%eax\n"                                                           \
  "1:\n\t"                                                                 \
  FRINGE_ENDBR

#if defined(__MMX__)
#define FRINGE_I386_MMX_CLOBBERS \
  , "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7"
#else
#define FRINGE_I386_MMX_CLOBBERS
#endif

#define FRINGE_I386_CLOBBERS                                                \
  "eax", "ebx", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", \
      "st(7)", "cc", "fpsr",                                                \
      "memory" FRINGE_I386_MMX_CLOBBERS FRINGE_I386_SSE_CLOBBERS

__attribute__((always_inline)) inline Transfer swap_link(std::uintptr_t arg, void* new_sp,
                                                         void** link) {
  void* sp;
  asm volatile(FRINGE_I386_SWITCH("movl %%esp, (%%ecx)\n\t")
               : "+D"(arg), "=S"(sp), "+d"(new_sp), "+c"(link)
               :
               : FRINGE_I386_CLOBBERS);
  return Transfer{arg, sp};
}

__attribute__((always_inline)) inline Transfer swap(std::uintptr_t arg, void* new_sp) {
  void* sp;
  asm volatile(FRINGE_I386_SWITCH("")
               : "+D"(arg), "=S"(sp), "+d"(new_sp)
               :
               : "ecx", FRINGE_I386_CLOBBERS);
  return Transfer{arg, sp};
}

#undef FRINGE_I386_SWITCH

}  // namespace arch
}  // namespace fringe

#endif  // FRINGE_ARCH_SWITCH_I386_SYSV_ELF_GAS_HPP
