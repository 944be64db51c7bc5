// See decoder.h. Only the instruction forms that compilers emit in
// small accessor-like functions are modelled; the length decoder covers the
// general-purpose and SSE encodings so that the walk can step over the rest.

#include "v8/arch/x86_64/decoder.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace fringe {
namespace x86_64 {

using code::Value;

namespace {

enum Reg { RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7 };
const int kArgumentRegisters[] = {RDI, RSI, RDX, RCX, 8, 9};

struct ModRM {
  int mod = 0, reg = 0, rm = 0;
  bool memory = false;
  int base = -1;   // -1: none; 16: %rip
  int index = -1;  // -1: none
  std::int64_t disp = 0;
};

class Decoder {
 public:
  Decoder(const std::uint8_t* code, std::size_t size) : code_(code), size_(size) {}

  bool more() const { return pos_ < size_; }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) {
    pos_ = pos;
    ok_ = true;
  }
  bool ok() const { return ok_; }
  std::uint8_t byte() {
    if (pos_ >= size_) {
      ok_ = false;
      return 0;
    }
    return code_[pos_++];
  }
  std::int64_t imm(int bytes) {
    std::int64_t v = 0;
    switch (bytes) {
      case 1: v = static_cast<std::int8_t>(byte()); break;
      case 2: {
        std::int16_t x = static_cast<std::int16_t>(byte() | (byte() << 8));
        v = x;
        break;
      }
      case 4: {
        std::uint32_t x = 0;
        for (int i = 0; i < 4; i++) x |= static_cast<std::uint32_t>(byte()) << (8 * i);
        v = static_cast<std::int32_t>(x);
        break;
      }
      case 8: {
        std::uint64_t x = 0;
        for (int i = 0; i < 8; i++) x |= static_cast<std::uint64_t>(byte()) << (8 * i);
        v = static_cast<std::int64_t>(x);
        break;
      }
    }
    return v;
  }
  ModRM modrm(int rex) {
    ModRM m;
    std::uint8_t b = byte();
    m.mod = b >> 6;
    m.reg = ((b >> 3) & 7) | ((rex & 4) ? 8 : 0);
    int rm = b & 7;
    if (m.mod == 3) {
      m.rm = rm | ((rex & 1) ? 8 : 0);
      return m;
    }
    m.memory = true;
    if (rm == 4) {
      std::uint8_t sib = byte();
      int scale_index = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
      int base = (sib & 7) | ((rex & 1) ? 8 : 0);
      m.index = scale_index == 4 ? -1 : scale_index;
      if ((sib & 7) == 5 && m.mod == 0) {
        m.base = -1;
        m.disp = imm(4);
        return m;
      }
      m.base = base;
    } else if (rm == 5 && m.mod == 0) {
      m.base = 16;  // rip-relative
      m.disp = imm(4);
      return m;
    } else {
      m.base = rm | ((rex & 1) ? 8 : 0);
    }
    if (m.mod == 1) m.disp = imm(1);
    if (m.mod == 2) m.disp = imm(4);
    return m;
  }

 private:
  const std::uint8_t* code_;
  std::size_t size_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

code::Analysis Analyze(const CodeBytes& function, std::size_t max_bytes, int arguments, bool all_paths) {
  code::Analysis out;
  if (max_bytes > function.size) max_bytes = function.size;
  const std::uint8_t* code = function.bytes;
  Value regs[17];
  for (int i = 0; i < arguments && i < 6; i++) regs[kArgumentRegisters[i]] = Value::Argument(i);

  Decoder d(code, max_bytes);
  // With all_paths: branch targets still to walk, each with the registers
  // as they were at the branch. A target is walked once, whatever the path
  // that reached it first.
  struct Path {
    std::size_t pos;
    Value regs[17];
  };
  std::vector<Path> pending;
  std::vector<std::size_t> walked{0};
  auto branch = [&](std::int64_t rel) {
    if (!all_paths) return;
    std::int64_t target = static_cast<std::int64_t>(d.pos()) + rel;
    if (target < 0 || static_cast<std::size_t>(target) >= max_bytes) return;
    for (std::size_t w : walked) {
      if (w == static_cast<std::size_t>(target)) return;
    }
    walked.push_back(static_cast<std::size_t>(target));
    Path path;
    path.pos = static_cast<std::size_t>(target);
    for (int r = 0; r < 17; r++) path.regs[r] = regs[r];
    pending.push_back(path);
  };
  // Ends the current walk; true when another path has been taken up.
  auto next_path = [&]() {
    if (pending.empty()) return false;
    d.seek(pending.back().pos);
    for (int r = 0; r < 17; r++) regs[r] = pending.back().regs[r];
    pending.pop_back();
    return true;
  };
  auto reach_return = [&]() {
    if (out.reached_return) return;
    out.reached_return = true;
    out.return_value = regs[RAX];
  };
  auto address_of = [&](const ModRM& m) -> Value {
    if (m.base < 0 || m.base == 16 || m.index >= 0) return Value::Unknown();
    return regs[m.base].Add(m.disp);
  };
  auto record = [&](const ModRM& m, bool store, int size) {
    if (!m.memory || m.base < 0 || m.base == 16 || m.index >= 0) return;
    if (!regs[m.base].known()) return;
    out.accesses.push_back(code::Access{regs[m.base], m.disp, store, size});
  };
  auto clobber_call = [&]() {
    for (int r : {int{RAX}, int{RCX}, int{RDX}, int{RSI}, int{RDI}, 8, 9, 10, 11}) regs[r] = Value::Unknown();
  };

  for (;;) {
    if (!d.more() || !d.ok()) {
      if (next_path()) continue;
      break;
    }
    const std::uint8_t* insn_start = code + d.pos();
    int rex = 0;
    bool opsize16 = false, rep = false, repne = false;
    std::uint8_t op;
    for (;;) {
      op = d.byte();
      if (op == 0x66) opsize16 = true;
      else if (op == 0xF3) rep = true;
      else if (op == 0xF2) repne = true;
      else if (op == 0x2E || op == 0x3E || op == 0x26 || op == 0x36 || op == 0x64 || op == 0x65 || op == 0xF0) {
      } else break;
    }
    if ((op & 0xF0) == 0x40) {
      rex = op;
      op = d.byte();
    }
    const bool w = rex & 8;
    const int osize = w ? 8 : (opsize16 ? 2 : 4);
    const int imm_z = opsize16 ? 2 : 4;
    auto set = [&](int reg, Value value) { regs[reg] = (osize == 8) ? value : Value::Unknown(); };
    (void)repne;

    if (op == 0x0F) {
      std::uint8_t op2 = d.byte();
      if (op2 == 0x38) {  // three-byte, ModRM
        d.byte();
        ModRM m = d.modrm(rex);
        record(m, false, 0);
        continue;
      }
      if (op2 == 0x3A) {  // three-byte, ModRM + imm8
        d.byte();
        ModRM m = d.modrm(rex);
        d.imm(1);
        record(m, false, 0);
        continue;
      }
      if (op2 >= 0x80 && op2 <= 0x8F) {  // jcc rel32: follow the fall-through
        branch(d.imm(4));
        continue;
      }
      if (op2 == 0x05 || op2 == 0x0B || op2 == 0xA2 || op2 == 0x31 || (op2 >= 0xC8 && op2 <= 0xCF)) {
        if (op2 == 0x0B) {  // ud2
          if (next_path()) continue;
          break;
        }
        if (op2 == 0xA2 || op2 == 0x31) {
          regs[RAX] = regs[RDX] = Value::Unknown();
          regs[RBX] = regs[RCX] = Value::Unknown();
        }
        if (op2 >= 0xC8) regs[(op2 & 7) | ((rex & 1) ? 8 : 0)] = Value::Unknown();
        if (op2 == 0x05) clobber_call();
        continue;
      }
      // Everything else in the 0x0F map used by compilers has a ModRM byte.
      ModRM m = d.modrm(rex);
      bool has_imm8 = (op2 >= 0x70 && op2 <= 0x73) || op2 == 0xA4 || op2 == 0xAC || op2 == 0xBA ||
                      op2 == 0xC2 || op2 == 0xC4 || op2 == 0xC5 || op2 == 0xC6;
      if (has_imm8) d.imm(1);
      bool store = op2 == 0x11 || op2 == 0x13 || op2 == 0x17 || op2 == 0x29 || op2 == 0x2B ||
                   op2 == 0x7F || op2 == 0xD6 || op2 == 0xE7 || (op2 == 0x7E && !rep) ||
                   (op2 >= 0x90 && op2 <= 0x9F) || op2 == 0xB1 || op2 == 0xC1 || op2 == 0xAB;
      int size = 0;
      if (op2 == 0x10 || op2 == 0x11 || op2 == 0x6F || op2 == 0x7F || op2 == 0x28 || op2 == 0x29) {
        size = (rep || repne) && (op2 == 0x10 || op2 == 0x11) ? (rep ? 4 : 8) : 16;
      }
      record(m, store, size);
      // Instructions that write a general-purpose register.
      bool writes_reg = (op2 >= 0x40 && op2 <= 0x4F) || op2 == 0xAF || op2 == 0xB6 || op2 == 0xB7 ||
                        op2 == 0xBE || op2 == 0xBF || op2 == 0xBC || op2 == 0xBD || op2 == 0x2C ||
                        op2 == 0x2D || op2 == 0x50 || op2 == 0xD7 || op2 == 0xB8 || op2 == 0xC5;
      if (writes_reg) regs[m.reg] = Value::Unknown();
      bool writes_rm = (op2 >= 0x90 && op2 <= 0x9F) || (op2 == 0x7E && !rep && opsize16) ||
                       op2 == 0xB0 || op2 == 0xB1 || op2 == 0xC0 || op2 == 0xC1 || op2 == 0xA4 ||
                       op2 == 0xA5 || op2 == 0xAC || op2 == 0xAD || op2 == 0xAB || op2 == 0xB3 ||
                       op2 == 0xBB || op2 == 0xBA;
      if (writes_rm && !m.memory) regs[m.rm] = Value::Unknown();
      if (op2 == 0xB0 || op2 == 0xB1) regs[RAX] = Value::Unknown();
      continue;
    }

    if (op < 0x40) {
      int kind = op & 7;
      int alu = op >> 3;
      if (kind < 4) {
        ModRM m = d.modrm(rex);
        bool to_reg = kind & 2;
        record(m, !to_reg && alu != 7, (kind & 1) ? osize : 1);
        if (alu != 7) {
          if (to_reg) regs[m.reg] = Value::Unknown();
          else if (!m.memory) regs[m.rm] = Value::Unknown();
        }
      } else if (kind == 4) {
        d.imm(1);
        if (alu != 7) regs[RAX] = Value::Unknown();
      } else if (kind == 5) {
        std::int64_t v = d.imm(imm_z);
        if (alu == 0 && w) regs[RAX] = regs[RAX].Add(v);
        else if (alu == 5 && w) regs[RAX] = regs[RAX].Add(-v);
        else if (alu != 7) regs[RAX] = Value::Unknown();
      } else {
        out.error = "unsupported opcode";
        return out;
      }
      continue;
    }
    if (op >= 0x50 && op <= 0x57) continue;  // push
    if (op >= 0x58 && op <= 0x5F) {
      regs[(op & 7) | ((rex & 1) ? 8 : 0)] = Value::Unknown();
      continue;
    }
    if (op >= 0x70 && op <= 0x7F) {  // jcc rel8: follow the fall-through
      branch(d.imm(1));
      continue;
    }
    if (op >= 0x90 && op <= 0x97) {
      if (op != 0x90) {
        regs[RAX] = Value::Unknown();
        regs[(op & 7) | ((rex & 1) ? 8 : 0)] = Value::Unknown();
      }
      continue;
    }
    if (op >= 0xB0 && op <= 0xB7) {
      d.imm(1);
      regs[(op & 7) | ((rex & 1) ? 8 : 0)] = Value::Unknown();
      continue;
    }
    if (op >= 0xB8 && op <= 0xBF) {
      d.imm(w ? 8 : imm_z);
      regs[(op & 7) | ((rex & 1) ? 8 : 0)] = Value::Unknown();
      continue;
    }
    switch (op) {
      case 0x63: {  // movsxd
        ModRM m = d.modrm(rex);
        record(m, false, 4);
        regs[m.reg] = Value::Unknown();
        break;
      }
      case 0x68: d.imm(4); break;
      case 0x6A: d.imm(1); break;
      case 0x69:
      case 0x6B: {
        ModRM m = d.modrm(rex);
        d.imm(op == 0x69 ? imm_z : 1);
        record(m, false, osize);
        regs[m.reg] = Value::Unknown();
        break;
      }
      case 0x80:
      case 0x81:
      case 0x83: {
        ModRM m = d.modrm(rex);
        std::int64_t v = d.imm(op == 0x81 ? imm_z : 1);
        int alu = m.reg & 7;
        record(m, alu != 7, op == 0x80 ? 1 : osize);
        if (!m.memory && alu != 7) {
          if (alu == 0 && w) regs[m.rm] = regs[m.rm].Add(v);
          else if (alu == 5 && w) regs[m.rm] = regs[m.rm].Add(-v);
          else regs[m.rm] = Value::Unknown();
        }
        break;
      }
      case 0x84:
      case 0x85: {
        ModRM m = d.modrm(rex);
        record(m, false, op == 0x84 ? 1 : osize);
        break;
      }
      case 0x86:
      case 0x87: {
        ModRM m = d.modrm(rex);
        record(m, true, op == 0x86 ? 1 : osize);
        regs[m.reg] = Value::Unknown();
        if (!m.memory) regs[m.rm] = Value::Unknown();
        break;
      }
      case 0x88:
      case 0x89: {  // mov r/m, r
        ModRM m = d.modrm(rex);
        if (m.memory) {
          record(m, true, op == 0x88 ? 1 : osize);
        } else if (op == 0x89) {
          set(m.rm, regs[m.reg]);
        } else {
          regs[m.rm] = Value::Unknown();
        }
        break;
      }
      case 0x8A:
      case 0x8B: {  // mov r, r/m
        ModRM m = d.modrm(rex);
        if (m.memory) {
          record(m, false, op == 0x8A ? 1 : osize);
          Value a = address_of(m);
          regs[m.reg] = (op == 0x8B && w && a.known()) ? a.Load(0) : Value::Unknown();
        } else {
          if (op == 0x8B) set(m.reg, regs[m.rm]);
          else regs[m.reg] = Value::Unknown();
        }
        break;
      }
      case 0x8D: {  // lea
        ModRM m = d.modrm(rex);
        Value a = address_of(m);
        regs[m.reg] = w ? a : Value::Unknown();
        break;
      }
      case 0x8F: {
        ModRM m = d.modrm(rex);
        if (!m.memory) regs[m.rm] = Value::Unknown();
        break;
      }
      case 0x98: regs[RAX] = Value::Unknown(); break;
      case 0x99: regs[RDX] = Value::Unknown(); break;
      case 0xA8: d.imm(1); break;
      case 0xA9: d.imm(imm_z); break;
      case 0xC0:
      case 0xC1:
      case 0xD0:
      case 0xD1:
      case 0xD2:
      case 0xD3: {
        ModRM m = d.modrm(rex);
        if (op == 0xC0 || op == 0xC1) d.imm(1);
        record(m, true, 0);
        if (!m.memory) regs[m.rm] = Value::Unknown();
        break;
      }
      case 0xC2:
        d.imm(2);
        reach_return();
        if (next_path()) continue;
        return out;
      case 0xC3:
        reach_return();
        if (next_path()) continue;
        return out;
      case 0xC6:
      case 0xC7: {  // mov r/m, imm
        ModRM m = d.modrm(rex);
        d.imm(op == 0xC6 ? 1 : imm_z);
        if (m.memory) record(m, true, op == 0xC6 ? 1 : osize);
        else regs[m.rm] = Value::Unknown();
        break;
      }
      case 0xC9:  // leave
        regs[RBP] = regs[RSP] = Value::Unknown();
        break;
      case 0xCC:
        if (next_path()) continue;
        out.error = "int3";
        return out;
      case 0xE8: {  // call rel32
        std::int64_t rel = d.imm(4);
        std::uintptr_t target = function.address + d.pos() + rel;
        out.calls.push_back(code::Call{target, regs[RDI], regs[RSI]});
        clobber_call();
        break;
      }
      case 0xE9:
      case 0xEB: {  // unconditional jump: a branch, or (rel32) a tail call
        std::int64_t rel = d.imm(op == 0xE9 ? 4 : 1);
        if (op == 0xE9) {
          // Recorded as a call too: compilers end functions with tail calls.
          out.calls.push_back(code::Call{function.address + d.pos() + rel, regs[RDI], regs[RSI]});
        }
        branch(rel);
        if (next_path()) continue;
        if (out.reached_return) return out;
        out.error = "jump";
        return out;
      }
      case 0xF6:
      case 0xF7: {
        ModRM m = d.modrm(rex);
        if ((m.reg & 7) < 2) d.imm(op == 0xF6 ? 1 : imm_z);
        record(m, (m.reg & 7) >= 2, 0);
        if ((m.reg & 7) >= 2) {
          if (!m.memory) regs[m.rm] = Value::Unknown();
          regs[RAX] = regs[RDX] = Value::Unknown();
        }
        break;
      }
      case 0xFE:
      case 0xFF: {
        ModRM m = d.modrm(rex);
        int sub = m.reg & 7;
        if (op == 0xFF && (sub == 2 || sub == 3)) {  // indirect call
          out.calls.push_back(code::Call{0, regs[RDI], regs[RSI]});
          clobber_call();
        } else if (op == 0xFF && (sub == 4 || sub == 5)) {  // indirect jump
          if (next_path()) continue;
          if (out.reached_return) return out;
          out.error = "indirect jump";
          return out;
        } else if (sub < 2) {
          record(m, true, 0);
          if (!m.memory) regs[m.rm] = Value::Unknown();
        }
        break;
      }
      default:
        out.error = "unsupported opcode 0x" + std::to_string(op);
        return out;
    }
    (void)insn_start;
  }
  if (out.error.empty() && !out.reached_return) out.error = "no return within the byte limit";
  return out;
}

bool ConstantReturn(const CodeBytes& function, std::int64_t* value) {
  // `mov $imm32,%eax; ret`, what gcc and clang emit for `return constant;`,
  // inside `push %rbp; mov %rsp,%rbp` ... `pop %rbp` when the build keeps
  // frame pointers (Node 26). Nothing else is accepted.
  static const std::uint8_t kFrameEnter[] = {0x55, 0x48, 0x89, 0xE5};
  const std::uint8_t* c = function.bytes;
  std::size_t left = function.size;
  bool frame = left >= sizeof kFrameEnter && std::memcmp(c, kFrameEnter, sizeof kFrameEnter) == 0;
  if (frame) {
    c += sizeof kFrameEnter;
    left -= sizeof kFrameEnter;
  }
  const std::size_t length = frame ? 7 : 6;  // mov, [pop], ret
  if (left < length || c[0] != 0xB8 || (frame && c[5] != 0x5D) || c[length - 1] != 0xC3) return false;
  std::int32_t imm;
  std::memcpy(&imm, c + 1, sizeof imm);
  *value = imm;
  return true;
}

bool InitialExecTlsLoad(const CodeBytes& function, std::int64_t* offset) {
  // mov %fs:disp32, %rax: %fs holds the thread pointer on x86-64 Linux, and
  // an initial-exec thread_local of the executable is at a fixed offset.
  static const std::uint8_t kMovFsRax[] = {0x64, 0x48, 0x8b, 0x04, 0x25};
  if (function.size < sizeof kMovFsRax + 4 || std::memcmp(function.bytes, kMovFsRax, sizeof kMovFsRax) != 0) {
    return false;
  }
  std::int32_t disp;
  std::memcpy(&disp, function.bytes + sizeof kMovFsRax, sizeof disp);
  *offset = disp;
  return true;
}

code::Analysis InstructionSet::Analyze(const CodeBytes& code, std::size_t max_bytes, int arguments,
                                       bool all_paths) const {
  return x86_64::Analyze(code, max_bytes, arguments, all_paths);
}

bool InstructionSet::ConstantReturn(const CodeBytes& code, std::int64_t* value) const {
  return x86_64::ConstantReturn(code, value);
}

bool InstructionSet::InitialExecTlsLoad(const CodeBytes& code, std::int64_t* offset) const {
  return x86_64::InitialExecTlsLoad(code, offset);
}

}  // namespace x86_64
}  // namespace fringe
