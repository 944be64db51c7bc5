// The x86-64 registers as symbolic values (code_analysis.h) while one path
// through a function is walked, and how one decoded instruction
// (instruction.h) changes them. At the function's entry the System V
// integer argument registers hold the arguments; everything else is
// unknown.

#ifndef FRINGE_V8_ARCH_X86_64_REGISTER_MODEL_H
#define FRINGE_V8_ARCH_X86_64_REGISTER_MODEL_H

#include "v8/arch/x86_64/instruction.h"
#include "v8/code_analysis.h"

namespace fringe {
namespace x86_64 {

class RegisterModel {
 public:
  /// The first `arguments` integer arguments (at most six) are known.
  explicit RegisterModel(int arguments);

  const code::Value& operator[](int reg) const { return regs_[reg]; }

  /// The address of a memory operand: base register + displacement, when
  /// the base is a known value and there is no index (else unknown).
  code::Value AddressOf(const ModRM& m) const;

  /// Records the instruction's memory access in `out` (when its address is
  /// known), then writes its registers, each computed from the registers
  /// as they were before it, then forgets the caller-saved registers of a
  /// call.
  void Apply(const Instruction& insn, code::Analysis* out);

 private:
  code::Value regs_[kRegisters + 1];  // + kRipBase, never known
};

}  // namespace x86_64
}  // namespace fringe

#endif  // FRINGE_V8_ARCH_X86_64_REGISTER_MODEL_H
