// See register_model.h.

#include "v8/arch/x86_64/register_model.h"

namespace fringe {
namespace x86_64 {

namespace {
// System V: %rdi, %rsi, %rdx, %rcx, %r8, %r9.
const int kArgumentRegisters[] = {RDI, RSI, RDX, RCX, 8, 9};
// What a callee may change: the argument registers, %rax, %r10, %r11.
const int kCallerSaved[] = {RAX, RCX, RDX, RSI, RDI, 8, 9, 10, 11};
}  // namespace

RegisterModel::RegisterModel(int arguments) {
  for (int i = 0; i < arguments && i < 6; i++) regs_[kArgumentRegisters[i]] = code::Value::Argument(i);
}

code::Value RegisterModel::AddressOf(const ModRM& m) const {
  if (m.base < 0 || m.base == kRipBase || m.index >= 0) return code::Value::Unknown();
  return regs_[m.base].Add(m.disp);
}

void RegisterModel::Apply(const Instruction& insn, code::Analysis* out) {
  const ModRM& m = insn.operand;
  if (insn.accesses_memory && m.base >= 0 && m.base != kRipBase && m.index < 0 && regs_[m.base].known()) {
    out->accesses.push_back(code::Access{regs_[m.base], m.disp, insn.store, insn.access_size});
  }
  code::Value values[4];
  for (int i = 0; i < insn.write_count; i++) {
    const RegisterWrite& write = insn.writes[i];
    switch (write.kind) {
      case RegisterWrite::kUnknown: values[i] = code::Value::Unknown(); break;
      case RegisterWrite::kCopy: values[i] = regs_[write.source]; break;
      case RegisterWrite::kAddress: values[i] = AddressOf(m); break;
      case RegisterWrite::kLoad: values[i] = AddressOf(m).Load(0); break;
      case RegisterWrite::kAdd: values[i] = regs_[write.reg].Add(write.immediate); break;
    }
  }
  for (int i = 0; i < insn.write_count; i++) regs_[insn.writes[i].reg] = values[i];
  if (insn.clobbers_caller_saved) {
    for (int reg : kCallerSaved) regs_[reg] = code::Value::Unknown();
  }
}

}  // namespace x86_64
}  // namespace fringe
