// The AArch64 registers as symbolic values (code_analysis.h) while one path
// through a function is walked, and how one decoded instruction
// (instruction.h) changes them. At the function's entry x0..x7 hold the
// integer arguments (AAPCS64); everything else is unknown.
//
// Unlike x86-64, AArch64 cannot put a 32-bit displacement into a load:
// offsets above the load's immediate range are built in registers
// (`add x0, x0, #0x8, lsl #12`, `mov x1, #0xede0; add x0, x0, x1`), so the
// model also follows constants, and folds an addition into the
// displacement of the access that uses it (arg0+0x8000, then [+25544], is
// an access at arg0 + 0x8000 + 25544, as x86-64 would encode it).

#ifndef FRINGE_V8_ARCH_AARCH64_REGISTER_MODEL_H
#define FRINGE_V8_ARCH_AARCH64_REGISTER_MODEL_H

#include <cstdint>

#include "v8/arch/aarch64/instruction.h"
#include "v8/code_analysis.h"

namespace fringe {
namespace aarch64 {

/// The argument number the thread pointer is given once `mrs Xt,
/// tpidr_el0` reads it, so that thread-local accesses show as "argument
/// kThreadPointer + offset" (InitialExecTlsLoad).
constexpr int kThreadPointer = 8;

class RegisterModel {
 public:
  /// The first `arguments` integer arguments (at most eight) are known.
  explicit RegisterModel(int arguments);

  /// The symbolic value of register `reg` (unknown for constants).
  const code::Value& operator[](int reg) const { return regs_[reg].symbol; }
  /// Whether register `reg` holds a known constant, and which.
  bool Constant(int reg, std::int64_t* value) const;

  /// Records the instruction's memory accesses in `out` (those whose
  /// address is known), then writes its registers, each computed from the
  /// registers as they were before it, then forgets the caller-saved
  /// registers of a call (x0-x18, x30, v0-v7, v16-v31).
  void Apply(const Instruction& insn, code::Analysis* out);

 private:
  struct Register {
    code::Value symbol;
    bool constant = false;
    std::int64_t value = 0;
  };
  Register Read(int reg) const;
  Register Compute(const Instruction& insn, const RegisterWrite& write) const;
  /// The address of an access as a value (unknown if not followed).
  code::Value AddressOf(const Access& access) const;

  Register regs_[kRegisters];
};

}  // namespace aarch64
}  // namespace fringe

#endif  // FRINGE_V8_ARCH_AARCH64_REGISTER_MODEL_H
