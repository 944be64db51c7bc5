// See instruction.h.

#include "v8/arch/x86_64/instruction.h"

#include <initializer_list>

namespace fringe {
namespace x86_64 {

namespace {

// A set of opcode bytes, written as single bytes and inclusive ranges.
class OpcodeSet {
 public:
  struct Range {
    std::uint8_t first, last;
  };
  constexpr OpcodeSet(std::initializer_list<std::uint8_t> bytes, std::initializer_list<Range> ranges = {}) {
    for (std::uint8_t b : bytes) Add(b);
    for (Range r : ranges) {
      for (int b = r.first; b <= r.last; b++) Add(static_cast<std::uint8_t>(b));
    }
  }
  constexpr bool contains(std::uint8_t op) const { return (bits_[op >> 6] >> (op & 63)) & 1; }

 private:
  constexpr void Add(std::uint8_t b) { bits_[b >> 6] |= std::uint64_t{1} << (b & 63); }
  std::uint64_t bits_[4] = {};
};

// The two-byte map (0x0F xx) beyond jcc, syscall, ud2, cpuid, rdtsc and
// bswap: every such opcode compilers emit has a ModRM byte.
// ... followed by an 8-bit immediate (pshufd, shld/shrd, bt imm, cmpps, ...).
constexpr OpcodeSet kTwoByteImm8({0xA4, 0xAC, 0xBA, 0xC2, 0xC4, 0xC5, 0xC6}, {{0x70, 0x73}});
// ... storing to the ModRM operand when it is memory (movups/movss/movlps/
// movhps/movaps/movntps stores, movdqa/movq/movnti stores, setcc, cmpxchg,
// xadd, bts). 0x7E (movd/movq to r/m) stores unless F3 (movq xmm, xmm/m64).
constexpr OpcodeSet kTwoByteStores({0x11, 0x13, 0x17, 0x29, 0x2B, 0x7F, 0xD6, 0xE7, 0xB1, 0xC1, 0xAB},
                                   {{0x90, 0x9F}});
// ... writing the ModRM reg field's general-purpose register (cmovcc,
// imul, movzx/movsx, bsf/bsr, cvtt/cvt to integer, movmskps, pmovmskb,
// popcnt, pextrw).
constexpr OpcodeSet kTwoByteWritesReg({0xAF, 0xB6, 0xB7, 0xBE, 0xBF, 0xBC, 0xBD, 0x2C, 0x2D, 0x50, 0xD7, 0xB8, 0xC5},
                                      {{0x40, 0x4F}});
// ... writing the ModRM rm register when the operand is one (setcc,
// cmpxchg, xadd, shld/shrd, bts/btr/btc). 0x7E writes it with 66 and no F3.
constexpr OpcodeSet kTwoByteWritesRm({0xB0, 0xB1, 0xC0, 0xC1, 0xA4, 0xA5, 0xAC, 0xAD, 0xAB, 0xB3, 0xBB, 0xBA},
                                     {{0x90, 0x9F}});
// ... moving 16 bytes (movups/movaps/movdqa/movdqu), or with F3/F2 for
// 0x10/0x11 the 4 or 8 of movss/movsd.
constexpr OpcodeSet kTwoByteVectorMoves({0x10, 0x11, 0x6F, 0x7F, 0x28, 0x29});
// Legacy prefixes that change nothing the model tracks: segment overrides
// (cs, ds, es, ss, fs, gs; a %fs load is not a field of an argument) and lock.
constexpr OpcodeSet kIgnoredPrefixes({0x2E, 0x3E, 0x26, 0x36, 0x64, 0x65, 0xF0});

// Reads bytes, immediates and ModRM operands; reading past the end
// yields zeros and clears ok().
class ByteReader {
 public:
  ByteReader(const std::uint8_t* code, std::size_t size, std::size_t pos) : code_(code), size_(size), pos_(pos) {}

  std::size_t pos() const { return pos_; }
  bool ok() const { return ok_; }
  std::uint8_t byte() {
    if (pos_ >= size_) {
      ok_ = false;
      return 0;
    }
    return code_[pos_++];
  }
  // A little-endian, sign-extended immediate of 1, 2, 4 or 8 bytes.
  std::int64_t imm(int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
    const int unused = 64 - 8 * bytes;
    return unused == 0 ? static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v << unused) >> unused;
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
      m.base = kRipBase;
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
  std::size_t pos_;
  bool ok_ = true;
};

// Fills an Instruction as the opcode is decoded.
class Builder {
 public:
  explicit Builder(Instruction* out) : out_(out) {}
  // The operand kAddress and kLoad writes read.
  void Operand(const ModRM& m) { out_->operand = m; }
  void Access(const ModRM& m, bool store, int size) {
    if (!m.memory) return;
    out_->accesses_memory = true;
    out_->operand = m;
    out_->store = store;
    out_->access_size = size;
  }
  void Write(RegisterWrite::Kind kind, int reg, int source = 0, std::int64_t immediate = 0) {
    out_->writes[out_->write_count++] = RegisterWrite{kind, reg, source, immediate};
  }
  void Unknown(int reg) { Write(RegisterWrite::kUnknown, reg); }
  void Flow(enum Flow flow, std::int64_t displacement = 0) {
    out_->flow = flow;
    out_->displacement = displacement;
  }

 private:
  Instruction* out_;
};

// The two-byte map (0x0F op2).
void DecodeTwoByte(ByteReader& r, Builder& b, Instruction& insn, int rex, bool opsize16, bool rep, bool repne) {
  const std::uint8_t op2 = r.byte();
  insn.opcode = op2;
  if (op2 == 0x38 || op2 == 0x3A) {  // three-byte maps: ModRM, and an imm8 for 0x3A
    r.byte();
    ModRM m = r.modrm(rex);
    if (op2 == 0x3A) r.imm(1);
    b.Access(m, false, 0);
    return;
  }
  if (op2 >= 0x80 && op2 <= 0x8F) return b.Flow(Flow::kBranch, r.imm(4));  // jcc rel32
  if (op2 == 0x0B) return b.Flow(Flow::kStop);                             // ud2
  if (op2 == 0x05) {                                                       // syscall
    insn.clobbers_caller_saved = true;
    return;
  }
  if (op2 == 0xA2 || op2 == 0x31) {  // cpuid, rdtsc
    for (int reg : {RAX, RDX, RBX, RCX}) b.Unknown(reg);
    return;
  }
  if (op2 >= 0xC8 && op2 <= 0xCF) return b.Unknown((op2 & 7) | ((rex & 1) ? 8 : 0));  // bswap
  ModRM m = r.modrm(rex);
  if (kTwoByteImm8.contains(op2)) r.imm(1);
  const bool store = kTwoByteStores.contains(op2) || (op2 == 0x7E && !rep);
  int size = 0;
  if (kTwoByteVectorMoves.contains(op2)) size = (rep || repne) && (op2 == 0x10 || op2 == 0x11) ? (rep ? 4 : 8) : 16;
  b.Access(m, store, size);
  if (kTwoByteWritesReg.contains(op2)) b.Unknown(m.reg);
  const bool writes_rm = kTwoByteWritesRm.contains(op2) || (op2 == 0x7E && !rep && opsize16);
  if (writes_rm && !m.memory) b.Unknown(m.rm);
  if (op2 == 0xB0 || op2 == 0xB1) b.Unknown(RAX);  // cmpxchg
}

// The eight ALU operations of opcodes 0x00-0x3F (add, or, adc, sbb, and,
// sub, xor, cmp: alu 0 to 7) in their first six forms.
void DecodeAlu(ByteReader& r, Builder& b, int rex, int osize, int imm_z, std::uint8_t op) {
  const int form = op & 7;
  const int alu = op >> 3;
  const bool w = rex & 8;
  const bool writes = alu != 7;  // cmp only reads
  if (form < 4) {  // r/m8, r/m; r8, r/m8; r, r/m
    ModRM m = r.modrm(rex);
    const bool to_reg = form & 2;
    b.Access(m, !to_reg && writes, (form & 1) ? osize : 1);
    if (writes) {
      if (to_reg) b.Unknown(m.reg);
      else if (!m.memory) b.Unknown(m.rm);
    }
  } else if (form == 4) {  // al, imm8
    r.imm(1);
    if (writes) b.Unknown(RAX);
  } else if (form == 5) {  // rax, imm
    std::int64_t v = r.imm(imm_z);
    if (alu == 0 && w) b.Write(RegisterWrite::kAdd, RAX, 0, v);
    else if (alu == 5 && w) b.Write(RegisterWrite::kAdd, RAX, 0, -v);
    else if (writes) b.Unknown(RAX);
  } else {  // push/pop of segment registers, daa, ...: not in 64-bit code
    b.Flow(Flow::kUnsupported);
  }
}

// Opcodes 0x40-0xFF (REX bytes are prefixes by now).
void DecodeOneByte(ByteReader& r, Builder& b, int rex, int osize, int imm_z, std::uint8_t op) {
  const bool w = rex & 8;
  const int op_reg = (op & 7) | ((rex & 1) ? 8 : 0);  // register encoded in the opcode
  if (op >= 0x50 && op <= 0x57) return;  // push
  if (op >= 0x58 && op <= 0x5F) return b.Unknown(op_reg);  // pop
  if (op >= 0x70 && op <= 0x7F) return b.Flow(Flow::kBranch, r.imm(1));  // jcc rel8
  if (op >= 0x90 && op <= 0x97) {  // nop, xchg with rax
    if (op != 0x90) {
      b.Unknown(RAX);
      b.Unknown(op_reg);
    }
    return;
  }
  if (op >= 0xB0 && op <= 0xB7) {  // mov r8, imm8
    r.imm(1);
    return b.Unknown(op_reg);
  }
  if (op >= 0xB8 && op <= 0xBF) {  // mov r, imm
    r.imm(w ? 8 : imm_z);
    return b.Unknown(op_reg);
  }
  switch (op) {
    case 0x63: {  // movsxd
      ModRM m = r.modrm(rex);
      b.Access(m, false, 4);
      b.Unknown(m.reg);
      break;
    }
    case 0x68: r.imm(4); break;  // push imm32
    case 0x6A: r.imm(1); break;  // push imm8
    case 0x69:
    case 0x6B: {  // imul r, r/m, imm
      ModRM m = r.modrm(rex);
      r.imm(op == 0x69 ? imm_z : 1);
      b.Access(m, false, osize);
      b.Unknown(m.reg);
      break;
    }
    case 0x80:
    case 0x81:
    case 0x83: {  // ALU r/m, imm
      ModRM m = r.modrm(rex);
      std::int64_t v = r.imm(op == 0x81 ? imm_z : 1);
      int alu = m.reg & 7;
      b.Access(m, alu != 7, op == 0x80 ? 1 : osize);
      if (!m.memory && alu != 7) {
        if (alu == 0 && w) b.Write(RegisterWrite::kAdd, m.rm, 0, v);
        else if (alu == 5 && w) b.Write(RegisterWrite::kAdd, m.rm, 0, -v);
        else b.Unknown(m.rm);
      }
      break;
    }
    case 0x84:
    case 0x85: {  // test
      ModRM m = r.modrm(rex);
      b.Access(m, false, op == 0x84 ? 1 : osize);
      break;
    }
    case 0x86:
    case 0x87: {  // xchg
      ModRM m = r.modrm(rex);
      b.Access(m, true, op == 0x86 ? 1 : osize);
      b.Unknown(m.reg);
      if (!m.memory) b.Unknown(m.rm);
      break;
    }
    case 0x88:
    case 0x89: {  // mov r/m, r
      ModRM m = r.modrm(rex);
      if (m.memory) b.Access(m, true, op == 0x88 ? 1 : osize);
      else if (op == 0x89 && osize == 8) b.Write(RegisterWrite::kCopy, m.rm, m.reg);
      else b.Unknown(m.rm);
      break;
    }
    case 0x8A:
    case 0x8B: {  // mov r, r/m
      ModRM m = r.modrm(rex);
      if (m.memory) {
        b.Access(m, false, op == 0x8A ? 1 : osize);
        if (op == 0x8B && w) b.Write(RegisterWrite::kLoad, m.reg);
        else b.Unknown(m.reg);
      } else if (op == 0x8B && osize == 8) {
        b.Write(RegisterWrite::kCopy, m.reg, m.rm);
      } else {
        b.Unknown(m.reg);
      }
      break;
    }
    case 0x8D: {  // lea: an address, not an access
      ModRM m = r.modrm(rex);
      b.Operand(m);
      if (w) b.Write(RegisterWrite::kAddress, m.reg);
      else b.Unknown(m.reg);
      break;
    }
    case 0x8F: {  // pop r/m
      ModRM m = r.modrm(rex);
      if (!m.memory) b.Unknown(m.rm);
      break;
    }
    case 0x98: b.Unknown(RAX); break;  // cbw/cwde/cdqe
    case 0x99: b.Unknown(RDX); break;  // cwd/cdq/cqo
    case 0xA8: r.imm(1); break;        // test al, imm8
    case 0xA9: r.imm(imm_z); break;    // test rax, imm
    case 0xC0:
    case 0xC1:
    case 0xD0:
    case 0xD1:
    case 0xD2:
    case 0xD3: {  // shifts and rotates
      ModRM m = r.modrm(rex);
      if (op == 0xC0 || op == 0xC1) r.imm(1);
      b.Access(m, true, 0);
      if (!m.memory) b.Unknown(m.rm);
      break;
    }
    case 0xC2:  // ret imm16
      r.imm(2);
      b.Flow(Flow::kReturn);
      break;
    case 0xC3: b.Flow(Flow::kReturn); break;
    case 0xC6:
    case 0xC7: {  // mov r/m, imm
      ModRM m = r.modrm(rex);
      r.imm(op == 0xC6 ? 1 : imm_z);
      if (m.memory) b.Access(m, true, op == 0xC6 ? 1 : osize);
      else b.Unknown(m.rm);
      break;
    }
    case 0xC9:  // leave
      b.Unknown(RBP);
      b.Unknown(RSP);
      break;
    case 0xCC: b.Flow(Flow::kTrap); break;
    case 0xE8: b.Flow(Flow::kCall, r.imm(4)); break;
    case 0xE9: b.Flow(Flow::kTailJump, r.imm(4)); break;
    case 0xEB: b.Flow(Flow::kJump, r.imm(1)); break;
    case 0xF6:
    case 0xF7: {  // test (/0, /1) r/m, imm; not, neg, mul, imul, div, idiv
      ModRM m = r.modrm(rex);
      const int sub = m.reg & 7;
      if (sub < 2) r.imm(op == 0xF6 ? 1 : imm_z);
      b.Access(m, sub >= 2, 0);
      if (sub >= 2) {
        if (!m.memory) b.Unknown(m.rm);
        b.Unknown(RAX);
        b.Unknown(RDX);
      }
      break;
    }
    case 0xFE:
    case 0xFF: {  // inc, dec; call, jmp, push through r/m
      ModRM m = r.modrm(rex);
      const int sub = m.reg & 7;
      if (op == 0xFF && (sub == 2 || sub == 3)) {
        b.Flow(Flow::kIndirectCall);
      } else if (op == 0xFF && (sub == 4 || sub == 5)) {
        b.Flow(Flow::kIndirectJump);
      } else if (sub < 2) {
        b.Access(m, true, 0);
        if (!m.memory) b.Unknown(m.rm);
      }
      break;
    }
    default: b.Flow(Flow::kUnsupported); break;
  }
}

}  // namespace

Instruction DecodeInstruction(const std::uint8_t* code, std::size_t size, std::size_t pos) {
  Instruction insn;
  Builder b(&insn);
  ByteReader r(code, size, pos);
  int rex = 0;
  bool opsize16 = false, rep = false, repne = false;
  std::uint8_t op;
  for (;;) {
    op = r.byte();
    if (op == 0x66) opsize16 = true;
    else if (op == 0xF3) rep = true;
    else if (op == 0xF2) repne = true;
    else if (!kIgnoredPrefixes.contains(op)) break;
  }
  if ((op & 0xF0) == 0x40) {
    rex = op;
    op = r.byte();
  }
  insn.opcode = op;
  const bool w = rex & 8;
  const int osize = w ? 8 : (opsize16 ? 2 : 4);
  const int imm_z = opsize16 ? 2 : 4;
  if (op == 0x0F) {
    DecodeTwoByte(r, b, insn, rex, opsize16, rep, repne);
  } else if (op < 0x40) {
    DecodeAlu(r, b, rex, osize, imm_z, op);
  } else {
    DecodeOneByte(r, b, rex, osize, imm_z, op);
  }
  if (insn.flow == Flow::kCall || insn.flow == Flow::kIndirectCall) insn.clobbers_caller_saved = true;
  if (!r.ok()) insn.flow = Flow::kTruncated;
  insn.length = r.pos() - pos;
  return insn;
}

}  // namespace x86_64
}  // namespace fringe
