// See instruction.h. The classes follow the Arm ARM's A64 encoding index
// (DDI 0487, "A64 Instruction Set Encoding"): each mask below names the
// group it selects.

#include "v8/arch/aarch64/instruction.h"

#include <cstring>

namespace fringe {
namespace aarch64 {

namespace {

std::uint32_t Bits(std::uint32_t word, int high, int low) {
  return (word >> low) & ((std::uint32_t{1} << (high - low + 1)) - 1);
}

std::int64_t SignExtend(std::uint64_t value, int bits) {
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>((value ^ sign) - sign);
}

// Register field 31 is sp in some operand positions and xzr in others.
int X(std::uint32_t field, bool sp) { return field == 31 ? (sp ? kSp : kZero) : static_cast<int>(field); }
int V(std::uint32_t field) { return kVector + static_cast<int>(field); }

// DecodeBitMasks of the Arm ARM: the value of a logical immediate
// (N:immr:imms), or false for a reserved encoding.
bool LogicalImmediate(std::uint32_t n, std::uint32_t immr, std::uint32_t imms, bool is64, std::uint64_t* out) {
  const std::uint32_t combined = (n << 6) | (~imms & 0x3f);
  if (combined == 0) return false;
  int len = 31 - __builtin_clz(combined);
  if (len < 1 || (!is64 && len > 5)) return false;
  const std::uint32_t levels = (1u << len) - 1;
  const std::uint32_t s = imms & levels, r = immr & levels;
  if (s == levels) return false;
  const int esize = 1 << len;
  const std::uint64_t emask = esize == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << esize) - 1;
  std::uint64_t element = s + 1 == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << (s + 1)) - 1;
  if (r != 0) element = ((element >> r) | (element << (esize - r))) & emask;
  std::uint64_t value = 0;
  for (int i = 0; i < 64; i += esize) value |= element << i;
  *out = is64 ? value : (value & 0xffffffffu);
  return true;
}

class Builder {
 public:
  explicit Builder(Instruction* in) : in_(in) {}

  RegisterWrite& Write(RegisterWrite::Kind kind, int reg) {
    RegisterWrite& w = in_->writes[in_->write_count++];
    w = RegisterWrite();
    w.kind = kind;
    w.reg = reg;
    return w;
  }
  void Unknown(int reg) {
    if (reg != kZero) Write(RegisterWrite::kUnknown, reg);
  }
  int Access(int base, std::int64_t offset, int size, bool store) {
    in_->accesses[in_->access_count] = aarch64::Access{base, offset, size, store};
    return in_->access_count++;
  }
  // A loaded register: X registers and the low 64 bits of vector registers
  // hold a followed value when the load is (at least) 8 bytes.
  void Loaded(int reg, int size, int access) {
    if (reg == kZero) return;
    if (size >= 8) Write(RegisterWrite::kLoad, reg).access = access;
    else Unknown(reg);
  }
  void Branch(Flow flow, std::int64_t target) {
    in_->flow = flow;
    in_->target = target;
  }
  void Unsupported() { in_->flow = Flow::kUnsupported; }

 private:
  Instruction* in_;
};

// Data processing -- immediate.
void DataProcessingImmediate(std::uint32_t w, std::uint64_t pc, Instruction* in) {
  Builder b(in);
  const bool sf = Bits(w, 31, 31);
  const std::uint32_t rd = Bits(w, 4, 0), rn = Bits(w, 9, 5);
  switch (Bits(w, 25, 23)) {
    case 0:
    case 1: {  // adr, adrp
      const std::int64_t imm = SignExtend((Bits(w, 23, 5) << 2) | Bits(w, 30, 29), 21);
      const std::int64_t value = sf ? static_cast<std::int64_t>(pc & ~std::uint64_t{0xfff}) + imm * 4096
                                    : static_cast<std::int64_t>(pc) + imm;
      if (rd != 31) b.Write(RegisterWrite::kConstant, X(rd, false)).immediate = value;
      return;
    }
    case 2: {  // add/sub (immediate), also adds/subs/cmp/cmn and mov to/from sp
      const bool subtract = Bits(w, 30, 30), set_flags = Bits(w, 29, 29);
      std::int64_t imm = Bits(w, 21, 10) << (Bits(w, 22, 22) ? 12 : 0);
      const int dst = X(rd, !set_flags);
      if (dst == kZero) return;
      RegisterWrite& write = b.Write(RegisterWrite::kAdd, dst);
      write.source = X(rn, true);
      write.immediate = subtract ? -imm : imm;
      write.bits32 = !sf;
      return;
    }
    case 3:  // addg/subg (memory tagging)
      b.Unknown(X(rd, true));
      return;
    case 4: {  // logical (immediate); `mov Rd, #imm` is orr Rd, zr, #imm
      const std::uint32_t opc = Bits(w, 30, 29);
      std::uint64_t value;
      if (!LogicalImmediate(Bits(w, 22, 22), Bits(w, 21, 16), Bits(w, 15, 10), sf, &value)) {
        b.Unsupported();
        return;
      }
      const int dst = X(rd, opc != 3);
      if (opc == 1 && rn == 31) {
        RegisterWrite& write = b.Write(RegisterWrite::kConstant, dst);
        write.immediate = static_cast<std::int64_t>(value);
        write.bits32 = !sf;
      } else {
        b.Unknown(dst);
      }
      return;
    }
    case 5: {  // move wide: movn, movz, movk
      const std::uint32_t opc = Bits(w, 30, 29), hw = Bits(w, 22, 21);
      if (opc == 1 || (!sf && hw > 1)) {
        b.Unsupported();
        return;
      }
      const int shift = static_cast<int>(hw) * 16;
      const std::uint64_t imm16 = Bits(w, 20, 5);
      const int dst = X(rd, false);
      if (dst == kZero) return;
      if (opc == 3) {
        RegisterWrite& write = b.Write(RegisterWrite::kInsert, dst);
        write.source = dst;
        write.shift = shift;
        write.immediate = static_cast<std::int64_t>(imm16);
        write.bits32 = !sf;
      } else {
        RegisterWrite& write = b.Write(RegisterWrite::kConstant, dst);
        const std::uint64_t value = imm16 << shift;
        write.immediate = static_cast<std::int64_t>(opc == 0 ? ~value : value);
        write.bits32 = !sf;
      }
      return;
    }
    default:  // bitfield (lsl, ubfx, sxtw, ...), extract
      b.Unknown(X(rd, false));
      return;
  }
}

// Branches, exception generation and system instructions.
void BranchOrSystem(std::uint32_t w, Instruction* in) {
  Builder b(in);
  if ((w & 0x7C000000) == 0x14000000) {  // b, bl
    const std::int64_t target = SignExtend(Bits(w, 25, 0), 26) * 4;
    if (Bits(w, 31, 31)) {
      b.Branch(Flow::kCall, target);
      in->clobbers_caller_saved = true;
    } else {
      b.Branch(Flow::kTailJump, target);
    }
  } else if ((w & 0xFF000000) == 0x54000000) {  // b.cond, bc.cond
    b.Branch(Flow::kBranch, SignExtend(Bits(w, 23, 5), 19) * 4);
  } else if ((w & 0x7E000000) == 0x34000000) {  // cbz, cbnz
    b.Branch(Flow::kBranch, SignExtend(Bits(w, 23, 5), 19) * 4);
  } else if ((w & 0x7E000000) == 0x36000000) {  // tbz, tbnz
    b.Branch(Flow::kBranch, SignExtend(Bits(w, 18, 5), 14) * 4);
  } else if ((w & 0xFE000000) == 0xD6000000) {  // branch to register (with or without pointer authentication)
    switch (Bits(w, 24, 21) & 7) {
      case 0: in->flow = Flow::kIndirectJump; break;                                // br, braa
      case 1: in->flow = Flow::kIndirectCall; in->clobbers_caller_saved = true; break;  // blr, blraa
      case 2: in->flow = Flow::kReturn; break;                                      // ret, retaa
      default: b.Unsupported(); break;                                              // eret, drps
    }
  } else if ((w & 0xFF000000) == 0xD4000000) {  // exception generation
    switch (Bits(w, 23, 21)) {
      case 0: in->clobbers_caller_saved = true; break;  // svc
      case 1:                                           // brk: V8's CHECK failures
      case 2: in->flow = Flow::kTrap; break;            // hlt
      default: b.Unsupported(); break;
    }
  } else if ((w & 0xFFC00000) == 0xD5000000) {  // system: hints (nop, bti, paciasp), barriers, msr, mrs
    const bool read = Bits(w, 21, 21);
    if (read && Bits(w, 20, 19) >= 1) {  // mrs, sysl
      b.Unknown(X(Bits(w, 4, 0), false));
      // mrs Xt, tpidr_el0 (S3_3_C13_C0_2): the thread pointer.
      if ((w & 0xFFFFFFE0) == 0xD53BD040) in->reads_thread_pointer = true;
    }
  } else {
    b.Unsupported();
  }
}

// The size in bytes of a single-register load or store (size:opc, V),
// 0 for a prefetch, -1 for an unallocated encoding; `store` says which.
int TransferSize(std::uint32_t size, std::uint32_t opc, bool vector, bool* store) {
  if (vector) {
    *store = (opc & 1) == 0;
    if (opc & 2) return size == 0 ? 16 : -1;
    return 1 << size;
  }
  *store = opc == 0;
  if (size == 3 && opc == 2) return 0;  // prfm
  if (size >= 2 && opc == 3) return -1;
  return 1 << size;
}

void LoadStore(std::uint32_t w, Instruction* in) {
  Builder b(in);
  const std::uint32_t rt = Bits(w, 4, 0), rn = Bits(w, 9, 5);
  const bool vector = Bits(w, 26, 26);
  const int base = X(rn, true);
  auto target = [&](std::uint32_t field) { return vector ? V(field) : X(field, false); };

  if ((w & 0x3A000000) == 0x28000000) {  // load/store pair: ldp, stp, ldnp, stnp, ldpsw
    const std::uint32_t opc = Bits(w, 31, 30), mode = Bits(w, 24, 23);
    const bool load = Bits(w, 22, 22);
    int size;
    if (vector) size = opc == 3 ? -1 : 4 << opc;
    else if (opc == 0) size = 4;
    else if (opc == 1) size = load ? 4 : -1;  // ldpsw; stgp is memory tagging
    else if (opc == 2) size = 8;
    else size = -1;
    if (size < 0) {
      b.Unsupported();
      return;
    }
    const std::int64_t offset = SignExtend(Bits(w, 21, 15), 7) * size;
    const std::int64_t at = mode == 1 ? 0 : offset;  // post-index accesses the base itself
    const int first = b.Access(base, at, size, !load);
    const int second = b.Access(base, at + size, size, !load);
    if (load) {
      const int width = !vector && opc == 1 ? 4 : size;  // ldpsw sign-extends 4 bytes
      b.Loaded(target(rt), width, first);
      b.Loaded(target(Bits(w, 14, 10)), width, second);
    }
    if (mode == 1 || mode == 3) {  // writeback
      RegisterWrite& write = b.Write(RegisterWrite::kAdd, base);
      write.source = base;
      write.immediate = offset;
    }
    return;
  }
  if ((w & 0x3B000000) == 0x18000000) {  // load register (literal): a pc-relative load
    const std::uint32_t opc = Bits(w, 31, 30);
    if (vector || opc != 3) b.Unknown(target(rt));
    return;
  }
  if ((w & 0x3A000000) == 0x38000000) {  // load/store register: immediate, unscaled, register, atomic, pac
    const std::uint32_t size = Bits(w, 31, 30), opc = Bits(w, 23, 22);
    if (!vector && Bits(w, 24, 24) == 0 && Bits(w, 21, 21) == 1 && (Bits(w, 11, 10) & 1) == 1) {
      // ldraa, ldrab: an 8-byte load whose address is authenticated first.
      if (size != 3) {
        b.Unsupported();
        return;
      }
      const std::int64_t offset = SignExtend((Bits(w, 22, 22) << 9) | Bits(w, 20, 12), 10) * 8;
      b.Loaded(X(rt, false), 8, b.Access(base, offset, 8, false));
      if (Bits(w, 11, 11)) {
        RegisterWrite& write = b.Write(RegisterWrite::kAdd, base);
        write.source = base;
        write.immediate = offset;
      }
      return;
    }
    if (!vector && Bits(w, 24, 24) == 0 && Bits(w, 21, 21) == 1 && Bits(w, 11, 10) == 0) {
      // Atomic memory operations (ldadd, swp, ldapr, ...): read-modify-write.
      b.Access(base, 0, 1 << size, true);
      b.Unknown(X(rt, false));
      return;
    }
    bool store = false;
    const int bytes = TransferSize(size, opc, vector, &store);
    if (bytes < 0) {
      b.Unsupported();
      return;
    }
    std::int64_t offset = 0, writeback = 0;
    bool has_writeback = false;
    int index = -1, index_shift = 0;
    if (Bits(w, 24, 24)) {  // unsigned immediate, scaled by the access size
      offset = static_cast<std::int64_t>(Bits(w, 21, 10)) * (bytes == 0 ? 8 : bytes);
    } else if (Bits(w, 21, 21) == 0) {  // 9-bit signed immediate, unscaled
      const std::int64_t imm = SignExtend(Bits(w, 20, 12), 9);
      switch (Bits(w, 11, 10)) {
        case 0: offset = imm; break;                                      // ldur, stur
        case 1: writeback = imm; has_writeback = true; break;             // post-index
        case 2: offset = imm; break;                                      // ldtr, sttr
        case 3: offset = writeback = imm; has_writeback = true; break;    // pre-index
      }
    } else if (Bits(w, 11, 10) == 2) {  // register offset: [Xn, Xm{, lsl #s}]
      const std::uint32_t option = Bits(w, 15, 13);
      index = (option == 3 || option == 7) ? X(Bits(w, 20, 16), false) : -2;  // -2: a 32-bit index, not followed
      if (Bits(w, 12, 12)) index_shift = 31 - __builtin_clz(static_cast<unsigned>(bytes == 0 ? 8 : bytes));
    } else {
      b.Unsupported();
      return;
    }
    if (bytes == 0) return;  // prfm: no access, no write
    if (index == -2) {
      if (!store) b.Unknown(target(rt));
      return;
    }
    const int access = b.Access(base, offset, bytes, store);
    in->accesses[access].index = index;
    in->accesses[access].index_shift = index_shift;
    // Sign-extending loads (ldrsb, ldrsh, ldrsw) are narrower than 8 bytes,
    // so Loaded() makes them unknown like every narrow load.
    if (!store) b.Loaded(target(rt), bytes, access);
    if (has_writeback) {
      RegisterWrite& write = b.Write(RegisterWrite::kAdd, base);
      write.source = base;
      write.immediate = writeback;
    }
    return;
  }
  if ((w & 0x3F000000) == 0x08000000) {  // exclusive and ordered: ldxr, stxr, ldar, stlr, cas, ...
    const std::uint32_t size = Bits(w, 31, 30);
    const bool ordered = Bits(w, 23, 23), load = Bits(w, 22, 22), pair = Bits(w, 21, 21);
    const std::uint32_t rs = Bits(w, 20, 16);
    const int access = b.Access(base, 0, 1 << size, !load);
    if (ordered && !pair) {  // ldar, stlr (acquire/release): a plain access
      if (load) b.Loaded(X(rt, false), 1 << size, access);
    } else {
      if (load) {
        b.Unknown(X(rt, false));
        if (pair) b.Unknown(X(Bits(w, 14, 10), false));
      }
      if (!load || pair) {  // the status of a store-exclusive, the old value of a cas
        b.Unknown(X(rs, false));
        if (pair && rs < 30) b.Unknown(X(rs + 1, false));
      }
    }
    return;
  }
  if ((w & 0x3F200C00) == 0x19000000) {  // ldapur, stlur: release/acquire with an unscaled offset
    const std::uint32_t size = Bits(w, 31, 30), opc = Bits(w, 23, 22);
    const int access = b.Access(base, SignExtend(Bits(w, 20, 12), 9), 1 << size, opc == 0);
    if (opc != 0) b.Loaded(X(rt, false), size == 3 && opc == 1 ? 8 : 4, access);
    return;
  }
  if ((w & 0xBE000000) == 0x0C000000) {  // SIMD load/store of structures: ld1, st1, ...
    if (Bits(w, 22, 22)) {
      for (std::uint32_t i = 0; i < 4; i++) b.Unknown(V((rt + i) & 31));
    }
    if (Bits(w, 23, 23)) b.Unknown(base);  // post-index
    return;
  }
  b.Unsupported();
}

// Data processing -- register.
void DataProcessingRegister(std::uint32_t w, Instruction* in) {
  Builder b(in);
  const bool sf = Bits(w, 31, 31);
  const std::uint32_t rd = Bits(w, 4, 0), rn = Bits(w, 9, 5), rm = Bits(w, 20, 16);
  if (Bits(w, 28, 28) == 0) {
    if (Bits(w, 24, 24) == 0) {  // logical (shifted register); `mov Xd, Xm` is orr Xd, xzr, Xm
      const int dst = X(rd, false);
      if (dst == kZero) return;
      if (Bits(w, 30, 29) == 1 && rn == 31 && Bits(w, 21, 21) == 0 && Bits(w, 15, 10) == 0) {
        RegisterWrite& write = b.Write(RegisterWrite::kCopy, dst);
        write.source = X(rm, false);
        write.bits32 = !sf;
      } else {
        b.Unknown(dst);
      }
      return;
    }
    const bool subtract = Bits(w, 30, 30), set_flags = Bits(w, 29, 29);
    if (Bits(w, 21, 21) == 0) {  // add/sub (shifted register)
      const int dst = X(rd, false);
      if (dst == kZero) return;
      if (Bits(w, 23, 22) != 0) {  // lsr, asr: not an offset
        b.Unknown(dst);
        return;
      }
      RegisterWrite& write = b.Write(RegisterWrite::kAddShifted, dst);
      write.source = X(rn, false);
      write.source2 = X(rm, false);
      write.shift = static_cast<int>(Bits(w, 15, 10));
      write.subtract = subtract;
      write.bits32 = !sf;
      return;
    }
    // add/sub (extended register): Rn and Rd may be sp.
    const int dst = X(rd, !set_flags);
    if (dst == kZero) return;
    const std::uint32_t option = Bits(w, 15, 13);
    if (sf && (option == 3 || option == 7) && Bits(w, 12, 10) <= 4) {
      RegisterWrite& write = b.Write(RegisterWrite::kAddShifted, dst);
      write.source = X(rn, true);
      write.source2 = X(rm, false);
      write.shift = static_cast<int>(Bits(w, 12, 10));
      write.subtract = subtract;
    } else {
      b.Unknown(dst);
    }
    return;
  }
  if ((w & 0x1FE00000) == 0x1A400000) return;  // ccmp, ccmn: flags only
  if ((w & 0x1FE00000) == 0x1A000000 && Bits(w, 15, 10) != 0) return;  // rmif, setf: flags only
  b.Unknown(X(rd, false));  // adc, csel, cset, madd, udiv, rev, clz, lslv, ...
}

// Data processing -- SIMD and floating point. Only the moves to and from
// general registers are followed; everything else writes a vector register.
void SimdOrFloatingPoint(std::uint32_t w, Instruction* in) {
  Builder b(in);
  const std::uint32_t rd = Bits(w, 4, 0), rn = Bits(w, 9, 5);
  if ((w & 0x5F20FC00) == 0x1E200000) {  // conversion between floating point and integer
    const std::uint32_t sf = Bits(w, 31, 31), type = Bits(w, 23, 22), rmode = Bits(w, 20, 19),
                        opcode = Bits(w, 18, 16);
    const bool to_general = !(opcode == 2 || opcode == 3 || opcode == 7);
    const bool fmov_d = sf == 1 && type == 1 && rmode == 0;  // fmov Xd, Dn / fmov Dd, Xn
    if (to_general) {
      if (fmov_d && opcode == 6) b.Write(RegisterWrite::kCopy, X(rd, false)).source = V(rn);
      else b.Unknown(X(rd, false));
    } else {
      if (fmov_d && opcode == 7) b.Write(RegisterWrite::kCopy, V(rd)).source = X(rn, false);
      else b.Unknown(V(rd));
    }
    return;
  }
  if ((w & 0x9FE08400) == 0x0E000400) {  // SIMD copy: dup, ins, umov, smov
    const std::uint32_t imm4 = Bits(w, 14, 11);
    if (Bits(w, 29, 29) == 0 && (imm4 == 5 || imm4 == 7)) {
      // umov Xd, Vn.d[0] (mov Xd, Vn.d[0]) copies the low 64 bits.
      if (imm4 == 7 && Bits(w, 30, 30) == 1 && Bits(w, 20, 16) == 8) {
        b.Write(RegisterWrite::kCopy, X(rd, false)).source = V(rn);
      } else {
        b.Unknown(X(rd, false));
      }
      return;
    }
  }
  b.Unknown(V(rd));
}

}  // namespace

std::uint32_t InstructionWord(const std::uint8_t* code, std::size_t pos) {
  std::uint32_t word;
  std::memcpy(&word, code + pos, sizeof word);  // A64 instructions are little-endian
  return word;
}

Instruction DecodeInstruction(std::uint32_t w, std::uint64_t pc) {
  Instruction in;
  in.word = w;
  const std::uint32_t op0 = Bits(w, 28, 25);
  if ((w >> 16) == 0) {
    in.flow = Flow::kStop;  // udf
  } else if ((op0 & 0xE) == 0x8) {
    DataProcessingImmediate(w, pc, &in);
  } else if ((op0 & 0xE) == 0xA) {
    BranchOrSystem(w, &in);
  } else if ((op0 & 0x5) == 0x4) {
    LoadStore(w, &in);
  } else if ((op0 & 0x7) == 0x5) {
    DataProcessingRegister(w, &in);
  } else if ((op0 & 0x7) == 0x7) {
    SimdOrFloatingPoint(w, &in);
  } else {
    in.flow = Flow::kUnsupported;  // SVE, SME, reserved
  }
  return in;
}

}  // namespace aarch64
}  // namespace fringe
