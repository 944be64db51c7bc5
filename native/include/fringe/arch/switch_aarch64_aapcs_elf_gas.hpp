// Context switch for AArch64, AAPCS64 (Linux), ELF, GNU assembler syntax.
//
// Saved context (what a suspended stack pointer points at)
// ---------------------------------------------------------
//
//   offset  size  contents
//   sp+0    8     x29 (frame pointer) of the suspended side   } a frame record:
//   sp+8    8     address where the suspended side continues } {fp, "lr"}
//                 (label 1 in the switch, or trampoline_2 + 4 for a fresh
//                 stack)
//   sp+16         the suspended side's sp before it switched
//
// How each register the AAPCS64 calls callee-saved survives a switch:
//
//   register   kept by
//   x19-x28    the compiler: declared clobbered by the inline asm, so the
//              function containing the switch spills exactly those that
//              are live across it (libfringe's "compiler-assisted spilling")
//   x29 (fp)   the switch: stored in the context above. It cannot be named
//              as a clobber while it is the frame pointer.
//   x30 (lr)   the compiler: declared clobbered. The switch never returns
//              with `ret`; it leaves with `br` to the continuation address
//              in the context, so lr is just another scratch register here.
//   d8-d15     the compiler: v0-v31 are declared clobbered (d8-d15 are the
//              low halves of v8-v15)
//   sp         the handle itself: the other side receives it in x1
//   FPCR       nobody: it belongs to the thread (see below)
//
// x0 carries the word passed to the other side, x1 the stack pointer of the
// side that left; x2 the link slot (swap_link only). Every other general
// register, x3-x18, is declared clobbered.
//
// ABI facts this file relies on
// -----------------------------
// * The stack grows down and sp must be 16-byte aligned whenever it is used
//   to access memory (the hardware checks it: SCTLR_EL1.SA0 on Linux). Every
//   frame here is a multiple of 16 bytes.
// * There is no red zone on AArch64 Linux: the context goes right below sp.
// * A frame record is the pair {x29, x30} stored at the address x29 holds;
//   frame records form the chain that perf and other fp-walking profilers
//   follow. The saved context is laid out as one, so the chain continues
//   through suspended stacks.
// * x18 is the platform register; on Linux it is an ordinary temporary, and
//   is clobbered here. A build that reserves x18 (-ffixed-x18, clang's
//   shadow call stack) is not supported: a shadow stack per generator would
//   have to be switched too.
// * FPCR is "global" state in the AAPCS64: only functions whose purpose is to
//   change it (fesetround, fesetenv) may. As MXCSR and the x87 control word
//   on x86 (see switch_x86_64_sysv_elf_gas.hpp), it belongs to the thread:
//   the switch neither reads nor writes it, so a generator that calls
//   fesetround() changes the mode of the code that resumes it. One rule on
//   every architecture; and writing FPCR is serializing on some cores.
// * SVE/SME state (z, p, ZA) is not handled: code built for SVE treats the
//   z registers' upper halves and p registers as caller-saved, which the
//   "v" clobbers do not cover; the switch is only called between ordinary
//   (non-streaming) functions.
//
// Fresh stack, as init_stack() leaves it (base = highest address)
// ---------------------------------------------------------------
//
//   base-8    0                  padding: keeps the frame record 16-aligned
//   base-16   entry              the function trampoline_2 calls
//   base-24   trampoline_1 + 4   } frame record of trampoline_2's frame:
//   base-32   link slot          } {fp, lr}, where fp is written by every
//                                  resume (the resumer's context) and lr
//                                  points just past trampoline_1
//   base-40   trampoline_2 + 4   where the first switch lands
//   base-48   base - 32          x29 loaded by the first switch
//                                <- initial stack pointer
//
// The first switch loads x29 = base-32, sets sp = base-32 and branches to
// trampoline_2 + 4, which calls `entry` (from base-16) with sp = base-32:
// 16-byte aligned, and the entry's own frame record links to base-32.
//
// Call stack splicing (DWARF CFI)
// -------------------------------
// A DWARF unwinder (gdb, libgcc's _Unwind_Backtrace, libunwind) walking up
// from the generator's frames reaches trampoline_2, whose CFI says
// "CFA = x29 + 16, the caller's x29 at CFA-16, its x30 (the return address
// column) at CFA-8". There x29 = base-32, so the next frame is
// "trampoline_1 + 4" with x29 = the link slot's content. Every resume stores
// there the address of its own saved context, which is a frame record
// {x29, continuation} 16 bytes below its sp; trampoline_1's CFI says
// "CFA = x29 + 16, the caller's x29 at CFA-16, x30 at CFA-8", so the frame
// after trampoline_1 is the code that called resume(), at the switch's
// continuation label, with its own x29 and with sp = CFA = exactly the sp it
// had before the switch (no red zone to skip, unlike x86_64). The sp must be
// exact: gcc's AArch64 CFI computes a function's CFA from sp, not x29.
// perf's frame-pointer walk follows the same records without any CFI:
// entry -> base-32 -> the resumer's context -> the resumer's own frames.
//
// gdb refuses a frame whose CFA is "inner" to (below) the frame it came from,
// except for a function named __morestack (gcc split stacks). trampoline_1 is
// therefore a local symbol called __morestack, as in libfringe.
//
// The return address of trampoline_2's frame is trampoline_1 + 4, the end of
// its one nop: unwinders look up "return address - 1", which falls inside.
//
// Branch protection (-mbranch-protection=standard, or =bti / =pac-ret)
// -------------------------------------------------------------------
// BTI: on pages mapped PROT_BTI (the binary is marked BTI-compatible), an
// indirect branch must land on a matching landing pad. The switch reaches
// both of its targets with `br x9` (x9, not x16/x17), which needs `bti j`:
// one opens the continuation label, one is at trampoline_2 + 4 where a fresh
// stack starts. trampoline_2 reaches `entry` with `blr`; the compiler opens
// every function whose address is taken with `bti c` or `paciasp` (itself a
// `bti c` landing pad). The pads are emitted only when the compiler targets
// BTI (__ARM_FEATURE_BTI_DEFAULT); without it they would be harmless hints,
// but there is no reason to spend them.
//
// Pointer authentication (pac-ret): a function signs lr with sp as the
// modifier on entry (paciasp) and authenticates it with sp before returning
// (autiasp). The switch moves execution between stacks, so it must never
// authenticate on one stack what was signed on another. It does not:
//   * the switch functions themselves never sign or authenticate anything.
//     They are not even functions: the asm is inlined into its caller, and
//     what they move between stacks (the continuation address, x29) is raw
//     and is reached with `br`, never with `ret`;
//   * the function that contains the switch signed lr with its own sp on
//     its own stack before the switch, and continues after it on the same
//     stack with the same sp: its autiasp sees the modifier it signed with;
//   * frames on a generator's stack are all created there and return there,
//     and the entry function never returns at all;
//   * the fake frame records (trampoline_1 + 4 at base-24, the continuation
//     in each context) hold unsigned addresses, and the trampolines' CFI
//     never toggles the return-address signing state
//     (DW_CFA_AARCH64_negate_ra_state), so unwinders do not try to strip or
//     authenticate them.
// What PAC does not protect: the continuation address and x29 saved in a
// suspended context are plain pointers in writable memory (like a jmp_buf
// without glibc's pointer mangling).
//
// GNU property note and .note.GNU-stack: this file only contains inline asm.
// The compiler emits both notes for the including translation unit: a
// non-executable-stack note always, and, under -mbranch-protection, a
// .note.gnu.property with GNU_PROPERTY_AARCH64_FEATURE_1_AND = BTI|PAC. The
// asm here keeps that promise (the landing pads above); a second note
// written from inline asm would duplicate the compiler's in the same object.
//
// Symbols live in a COMDAT group so that this header can be included by any
// number of translation units; they are hidden so they never leave the binary.

#ifndef FRINGE_ARCH_SWITCH_AARCH64_AAPCS_ELF_GAS_HPP
#define FRINGE_ARCH_SWITCH_AARCH64_AAPCS_ELF_GAS_HPP

#include <cstddef>
#include <cstdint>

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define FRINGE_BTI_J "bti j\n\t"
#else
#define FRINGE_BTI_J ""
#endif

// The trampolines. trampoline_1 is never executed; it only carries CFI.
asm(R"(
    .pushsection .text.fringe_aarch64_trampolines,"axG",@progbits,fringe_aarch64_trampolines,comdat
    .p2align 4
    .type __morestack, %function
    .local __morestack
__morestack:
.Lfringe_aarch64_t1:
    .cfi_startproc
    // x29 points at a resumer's saved context: a frame record {x29,
    // continuation} 16 bytes below the sp the resumer had before the switch.
    // CFA = x29 + 16 is that sp, exactly: the resumer's own CFI computes its
    // CFA from sp (gcc keeps CFA = sp + N on AArch64 even with a frame
    // pointer), so it must be the right one.
    .cfi_def_cfa x29, 16
    .cfi_offset x29, -16
    .cfi_offset x30, -8
    // One nop: the fake return address trampoline_1+4 minus one lands here.
    nop
    .cfi_endproc
    .size __morestack, .-__morestack
    // Pad to 16 bytes without .p2align, so the distance below is constant
    // (zero words are permanently undefined instructions).
    .skip 12, 0
    .globl fringe_aarch64_trampoline_2
    .weak fringe_aarch64_trampoline_2
    .hidden fringe_aarch64_trampoline_2
    .type fringe_aarch64_trampoline_2, %function
fringe_aarch64_trampoline_2:
.Lfringe_aarch64_t2:
    .cfi_startproc
    // A frame record at x29 = base-32, so the caller is "trampoline_1 + 4"
    // whose x29 is the content of the link slot. (Its CFA, base-16, is the
    // sp of a frame that never ran: trampoline_1's rule uses only x29.)
    .cfi_def_cfa x29, 16
    .cfi_offset x29, -16
    .cfi_offset x30, -8
    // Not executed: the first switch lands on the next instruction, and a
    // return address equal to the symbol's start would confuse gdb. One
    // instruction: the landing is trampoline_2 + 4 (kTrampoline2Landing).
    nop
)" FRINGE_BTI_J R"(
    // sp = base-32 here; the entry function is at base-16. x0 (the word
    // passed by the switch) and x1 (the resumer's stack pointer) become the
    // entry's two arguments untouched.
    ldr x9, [sp, #16]
    blr x9
    // The entry never returns: it switches away for the last time.
    udf #0
    .cfi_endproc
    .size fringe_aarch64_trampoline_2, .-fringe_aarch64_trampoline_2
    .if .Lfringe_aarch64_t2 - .Lfringe_aarch64_t1 - 16
    .error "trampoline_1 must be 16 bytes before trampoline_2"
    .endif
    .popsection
)");

extern "C" void fringe_aarch64_trampoline_2();

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
/// Where the first switch lands in trampoline_2: just past its first nop.
constexpr std::uintptr_t kTrampoline2Landing = 4;
/// Bytes init_stack() uses at the top of a stack.
constexpr std::size_t kInitialFrameSize = 48;
/// Bytes a switch writes below the stack pointer of the side that leaves.
constexpr std::size_t kSwitchFrameSize = 16;

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
  std::uintptr_t t2 = reinterpret_cast<std::uintptr_t>(&fringe_aarch64_trampoline_2);
  std::uintptr_t t1 = t2 - kTrampoline1Distance;
  top[-1] = 0;
  top[-2] = reinterpret_cast<std::uintptr_t>(entry);
  top[-3] = t1 + 4;
  top[-4] = 0;  // link slot: written by every resume
  // The saved context, where a switch leaves it: 16 bytes below the stack
  // pointer the first switch ends with (base - 32).
  top[-5] = t2 + kTrampoline2Landing;
  top[-6] = reinterpret_cast<std::uintptr_t>(&top[-4]);
  return &top[-6];
}

// The switch. Both variants:
//   1. push x29 and the continuation address as a frame record (16 bytes
//      below sp); hand sp to the other side in x1;
//   2. (swap_link only) store that frame record's address in the new stack's
//      link slot;
//   3. load the new sp, pop its x29 and continuation, branch there;
//   4. when something switches back, continue at label 1.
#define FRINGE_AARCH64_SWITCH(LINK)                                          \
  "adr x9, 1f\n\t"                                                          \
  "stp x29, x9, [sp, #-16]!\n\t" /* frame record: fp, where we continue */ \
  LINK                                                                      \
  "mov x9, sp\n\t"                                                          \
  "mov sp, %1\n\t"               /* now on the other stack */               \
  "mov %1, x9\n\t"               /* this side's sp, for the other side */   \
  "ldp x29, x9, [sp], #16\n\t"                                              \
  "br x9\n"                      /* no ret: nothing signed, no RAS pop */   \
  "1:\n\t"                                                                  \
  FRINGE_BTI_J

#define FRINGE_AARCH64_CLOBBERS                                              \
  "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", \
      "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24",   \
      "x25", "x26", "x27", "x28", "x30", "v0", "v1", "v2", "v3", "v4", "v5",  \
      "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15",       \
      "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25",   \
      "v26", "v27", "v28", "v29", "v30", "v31", "cc", "memory"

/// Switches to `new_sp`, passing `arg`, and records this side's position in
/// `*link` so that unwinders continue from the new stack's bottom into this
/// frame. Returns when something switches back.
///
/// Safety: `new_sp` is a stack pointer produced by init_stack() or handed out
/// by a switch, and not resumed since; `link` is that stack's link_slot().
__attribute__((always_inline)) inline Transfer swap_link(std::uintptr_t arg, void* new_sp,
                                                         void** link) {
  register std::uintptr_t x0 asm("x0") = arg;
  register void* x1 asm("x1") = new_sp;
  register void** x2 asm("x2") = link;
  asm volatile(FRINGE_AARCH64_SWITCH("mov x11, sp\n\tstr x11, [%2]\n\t")
               : "+r"(x0), "+r"(x1), "+r"(x2)
               :
               : FRINGE_AARCH64_CLOBBERS);
  return Transfer{x0, x1};
}

/// Switches to `new_sp`, passing `arg`, without touching any link slot: the
/// direction from a generator back to its resumer.
///
/// Safety: as swap_link().
__attribute__((always_inline)) inline Transfer swap(std::uintptr_t arg, void* new_sp) {
  register std::uintptr_t x0 asm("x0") = arg;
  register void* x1 asm("x1") = new_sp;
  asm volatile(FRINGE_AARCH64_SWITCH("")
               : "+r"(x0), "+r"(x1)
               :
               : "x2", FRINGE_AARCH64_CLOBBERS);
  return Transfer{x0, x1};
}

#undef FRINGE_AARCH64_SWITCH

}  // namespace arch
}  // namespace fringe

#endif  // FRINGE_ARCH_SWITCH_AARCH64_AAPCS_ELF_GAS_HPP
