// See register_model.h.

#include "v8/arch/aarch64/register_model.h"

namespace fringe {
namespace aarch64 {

namespace {

std::int64_t Truncate32(std::int64_t value) { return static_cast<std::int64_t>(static_cast<std::uint32_t>(value)); }

}  // namespace

RegisterModel::RegisterModel(int arguments) {
  for (int i = 0; i < arguments && i < 8; i++) regs_[i].symbol = code::Value::Argument(i);
}

bool RegisterModel::Constant(int reg, std::int64_t* value) const {
  Register r = Read(reg);
  if (!r.constant) return false;
  *value = r.value;
  return true;
}

RegisterModel::Register RegisterModel::Read(int reg) const {
  if (reg == kZero) {
    Register zero;
    zero.constant = true;
    return zero;
  }
  return regs_[reg];
}

code::Value RegisterModel::AddressOf(const Access& access) const {
  const Register base = Read(access.base);
  std::int64_t offset = access.offset;
  if (access.index >= 0) {
    std::int64_t index;
    if (!Constant(access.index, &index)) return code::Value::Unknown();
    offset += static_cast<std::int64_t>(static_cast<std::uint64_t>(index) << access.index_shift);
  }
  return base.symbol.Add(offset);
}

RegisterModel::Register RegisterModel::Compute(const Instruction& insn, const RegisterWrite& write) const {
  Register out;
  auto constant = [&](std::int64_t value) {
    out.constant = true;
    out.value = write.bits32 ? Truncate32(value) : value;
    return out;
  };
  // A symbolic result exists only for 64-bit operations: a W register
  // cannot hold a pointer.
  auto symbol = [&](const code::Value& value) {
    if (!write.bits32) out.symbol = value;
    return out;
  };
  switch (write.kind) {
    case RegisterWrite::kUnknown:
      return out;
    case RegisterWrite::kConstant:
      return constant(write.immediate);
    case RegisterWrite::kCopy: {
      const Register source = Read(write.source);
      if (source.constant) return constant(source.value);
      return symbol(source.symbol);
    }
    case RegisterWrite::kInsert: {
      const Register source = Read(write.source);
      if (!source.constant) return out;
      const std::uint64_t mask = std::uint64_t{0xffff} << write.shift;
      const std::uint64_t value = (static_cast<std::uint64_t>(source.value) & ~mask) |
                                  (static_cast<std::uint64_t>(write.immediate) << write.shift);
      return constant(static_cast<std::int64_t>(value));
    }
    case RegisterWrite::kAdd: {
      const Register source = Read(write.source);
      if (source.constant) return constant(source.value + write.immediate);
      return symbol(source.symbol.Add(write.immediate));
    }
    case RegisterWrite::kAddShifted: {
      const Register a = Read(write.source), b = Read(write.source2);
      if (b.constant) {
        std::int64_t addend = static_cast<std::int64_t>(static_cast<std::uint64_t>(b.value) << write.shift);
        if (write.subtract) addend = -addend;
        if (a.constant) return constant(a.value + addend);
        return symbol(a.symbol.Add(addend));
      }
      if (a.constant && !write.subtract && write.shift == 0) return symbol(b.symbol.Add(a.value));
      return out;
    }
    case RegisterWrite::kLoad:
      return symbol(AddressOf(insn.accesses[write.access]).Load(0));
  }
  return out;
}

void RegisterModel::Apply(const Instruction& insn, code::Analysis* out) {
  for (int i = 0; i < insn.access_count; i++) {
    // base + displacement, with an addition the base carries folded into
    // the displacement (the form x86-64 encodes in one instruction).
    code::Value address = AddressOf(insn.accesses[i]);
    if (!address.known()) continue;
    std::int64_t displacement = 0;
    if (address.steps > 0 && !address.step[address.steps - 1].load) {
      displacement = address.step[address.steps - 1].offset;
      address.steps--;
    }
    out->accesses.push_back(code::Access{address, displacement, insn.accesses[i].store, insn.accesses[i].size});
  }
  Register values[4];
  for (int i = 0; i < insn.write_count; i++) values[i] = Compute(insn, insn.writes[i]);
  for (int i = 0; i < insn.write_count; i++) {
    const int reg = insn.writes[i].reg;
    if (reg != kZero && reg != kSp) regs_[reg] = values[i];
  }
  if (insn.reads_thread_pointer && insn.write_count == 1 && insn.writes[0].reg < kSp) {
    regs_[insn.writes[0].reg] = Register();
    regs_[insn.writes[0].reg].symbol = code::Value::Argument(kThreadPointer);
  }
  if (insn.clobbers_caller_saved) {
    for (int reg = 0; reg <= 18; reg++) regs_[reg] = Register();
    regs_[30] = Register();
    for (int v = 0; v < 32; v++) {
      if (v < 8 || v > 15) regs_[kVector + v] = Register();  // v8-v15's low halves are callee-saved
    }
  }
}

}  // namespace aarch64
}  // namespace fringe
