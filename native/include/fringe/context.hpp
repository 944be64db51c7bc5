// Selects the context switch for the target. Portable code uses only what
// every arch file provides:
//
//   arch::EntryFunction  void(std::uintptr_t arg, void* resumer_sp), never returns
//   arch::Transfer       { std::uintptr_t arg; void* sp; }
//   arch::init_stack(base, entry)        -> initial stack pointer
//   arch::swap_link(arg, sp, link_slot)  -> Transfer (resume: splices call stacks)
//   arch::swap(arg, sp)                  -> Transfer (suspend)
//   arch::link_slot(base)
//   arch::kInitialFrameSize, arch::kSwitchFrameSize
//
// On every architecture the floating-point environment (rounding mode,
// exception masks, flush-to-zero) belongs to the thread: a switch neither
// saves nor loads it (see switch_x86_64_sysv_elf_gas.hpp for why).

#ifndef FRINGE_CONTEXT_HPP
#define FRINGE_CONTEXT_HPP

#if defined(__x86_64__) && defined(__ELF__) && !defined(_WIN32) && !defined(__ILP32__)
#include "arch/switch_x86_64_sysv_elf_gas.hpp"
#elif defined(__i386__) && defined(__ELF__) && !defined(_WIN32)
#include "arch/switch_i386_sysv_elf_gas.hpp"
#elif defined(__aarch64__) && defined(__ELF__) && !defined(__ILP32__)
#include "arch/switch_aarch64_aapcs_elf_gas.hpp"
#else
#error "fringe: no context switch for this target; supported: x86_64 and i386 (System V ABI), aarch64 (AAPCS64), ELF"
#endif

#endif  // FRINGE_CONTEXT_HPP
