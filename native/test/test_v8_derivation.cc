// The steps of the V8 layout derivation, each alone, on machine code
// written here: decoding one x86-64 instruction, applying it to the
// register model, the branch worklist, the walk, and derivation steps on a
// fake CodeSource. (The whole derivation on real node executables is
// test/02.v8-layout-offline.test.js.)

#include <map>
#include <string>
#include <vector>

#include "check.hpp"
#include "v8/arch/branch_worklist.h"
#include "v8/arch/x86_64/decoder.h"
#include "v8/arch/x86_64/instruction.h"
#include "v8/arch/x86_64/register_model.h"
#include "v8/layout_derivation.h"

using namespace fringe;
using namespace fringe::x86_64;

namespace {

using Bytes = std::vector<std::uint8_t>;

CodeBytes Code(const Bytes& bytes, std::uintptr_t address = 0x1000) {
  CodeBytes code;
  code.bytes = bytes.data();
  code.size = bytes.size();
  code.address = address;
  return code;
}

// Functions by name, each given as bytes; a name not given is `ret`.
// Constants are what the bytes say (ConstantReturn), as offline.
class FakeCode final : public CodeSource {
 public:
  std::map<std::string, Bytes> functions;
  const fringe::InstructionSet* instruction_set() const override {
    return fringe::InstructionSet::ForElfMachine(62);  // EM_X86_64
  }
  std::map<std::string, Function> Find(const std::vector<std::string>& names, std::string*) override {
    std::map<std::string, Function> out;
    std::uintptr_t address = 0x10000;
    for (const auto& name : names) {
      auto [it, added] = functions.emplace(name, Bytes{0xC3});
      (void)added;
      Function f;
      f.code = Code(it->second, address += 0x1000);
      out[name] = f;
    }
    return out;
  }
  bool ConstantResult(const Function& f, std::int64_t* value, std::string*) override {
    return instruction_set()->ConstantReturn(f.code, value);
  }
};

}  // namespace

TEST(x86_64_decodes_a_load_from_an_argument_field) {
  const Bytes code = {0x48, 0x8b, 0x47, 0x48};  // mov 0x48(%rdi),%rax
  Instruction insn = DecodeInstruction(code.data(), code.size(), 0);
  CHECK(insn.length == 4);
  CHECK(insn.flow == Flow::kNext);
  CHECK(insn.accesses_memory && !insn.store && insn.access_size == 8);
  CHECK(insn.operand.base == RDI && insn.operand.disp == 0x48);
  REQUIRE(insn.write_count == 1);
  CHECK(insn.writes[0].kind == RegisterWrite::kLoad && insn.writes[0].reg == RAX);
}

TEST(x86_64_decodes_lea_as_an_address_not_an_access) {
  const Bytes code = {0x49, 0x8d, 0x77, 0x50};  // lea 0x50(%r15),%rsi
  Instruction insn = DecodeInstruction(code.data(), code.size(), 0);
  CHECK(!insn.accesses_memory);
  CHECK(insn.operand.base == 15 && insn.operand.disp == 0x50);
  REQUIRE(insn.write_count == 1);
  CHECK(insn.writes[0].kind == RegisterWrite::kAddress && insn.writes[0].reg == RSI);
}

TEST(x86_64_decodes_control_flow) {
  const Bytes call = {0xe8, 0x10, 0x00, 0x00, 0x00};
  Instruction insn = DecodeInstruction(call.data(), call.size(), 0);
  CHECK(insn.flow == Flow::kCall && insn.displacement == 0x10 && insn.clobbers_caller_saved);
  const Bytes jcc = {0x0f, 0x84, 0xfc, 0xff, 0xff, 0xff};  // je -4
  insn = DecodeInstruction(jcc.data(), jcc.size(), 0);
  CHECK(insn.flow == Flow::kBranch && insn.displacement == -4 && insn.length == 6);
  const Bytes tail = {0xe9, 0x00, 0x01, 0x00, 0x00};
  CHECK(DecodeInstruction(tail.data(), tail.size(), 0).flow == Flow::kTailJump);
  const Bytes ud2 = {0x0f, 0x0b};
  CHECK(DecodeInstruction(ud2.data(), ud2.size(), 0).flow == Flow::kStop);
  const Bytes cut = {0x48, 0x8b};  // the bytes end inside the instruction
  CHECK(DecodeInstruction(cut.data(), cut.size(), 0).flow == Flow::kTruncated);
  const Bytes invalid = {0x06};  // push %es: not in 64-bit code
  CHECK(DecodeInstruction(invalid.data(), invalid.size(), 0).flow == Flow::kUnsupported);
}

TEST(x86_64_register_model_follows_loads_and_forgets_at_calls) {
  const Bytes code = {0x48, 0x8b, 0x47, 0x48,              // mov 0x48(%rdi),%rax
                      0x48, 0x8b, 0xb8, 0xb0, 0xe3, 0, 0,  // mov 0xe3b0(%rax),%rdi
                      0x49, 0x89, 0xff,                    // mov %rdi,%r15
                      0x48, 0x83, 0xc7, 0x10,              // add $0x10,%rdi
                      0xe8, 0, 0, 0, 0};                   // call
  RegisterModel regs(1);
  code::Analysis out;
  std::size_t pos = 0;
  for (int i = 0; i < 4; i++) {
    Instruction insn = DecodeInstruction(code.data(), code.size(), pos);
    regs.Apply(insn, &out);
    pos += insn.length;
  }
  CHECK(regs[15].Is(0, {0x48, 0xe3b0}));  // %r15
  std::int64_t add = 0;
  CHECK(regs[RDI].Is(0, {0x48, 0xe3b0}, &add) && add == 0x10);
  REQUIRE(out.accesses.size() == 2);
  CHECK(out.accesses[1].base.Is(0, {0x48}) && out.accesses[1].displacement == 0xe3b0);
  regs.Apply(DecodeInstruction(code.data(), code.size(), pos), &out);
  CHECK(!regs[RDI].known());   // caller-saved
  CHECK(regs[15].known());     // callee-saved
}

TEST(x86_64_branch_worklist_walks_each_target_once) {
  RegisterModel regs(2);
  BranchWorklist<RegisterModel> straight(64, false);
  straight.Add(8, regs);
  std::size_t pos = 0;
  CHECK(!straight.Next(&pos, &regs));
  BranchWorklist<RegisterModel> all(64, true);
  all.Add(8, regs);
  all.Add(8, regs);   // already queued
  all.Add(0, regs);   // the entry
  all.Add(64, regs);  // past the limit
  all.Add(16, regs);
  CHECK(all.Next(&pos, &regs) && pos == 16);
  CHECK(all.Next(&pos, &regs) && pos == 8);
  CHECK(!all.Next(&pos, &regs));
}

TEST(x86_64_analysis_records_calls_with_their_arguments_and_the_return_value) {
  const Bytes code = {0x48, 0x8d, 0x77, 0x08,        // lea 0x8(%rdi),%rsi
                      0x48, 0x8b, 0x47, 0x10,        // mov 0x10(%rdi),%rax
                      0x74, 0x05,                    // je +5 (to the tail call)
                      0xc3,                          // ret
                      0x0f, 0x0b,                    // ud2 (never reached)
                      0x90, 0x90,                    // padding
                      0xe9, 0x00, 0x10, 0x00, 0x00}; // jmp: a tail call
  code::Analysis straight = Analyze(Code(code), 512, 1, false);
  CHECK(straight.reached_return && straight.return_value.Is(0, {0x10}));
  CHECK(straight.calls.empty());
  code::Analysis all = Analyze(Code(code, 0x4000), 512, 1, true);
  REQUIRE(all.calls.size() == 1);
  CHECK(all.calls[0].target == 0x4000 + code.size() + 0x1000);
  std::int64_t add = 0;
  CHECK(all.calls[0].arg1.Is(0, {}, &add) && add == 8);
}

TEST(x86_64_constant_return_and_tls_load_are_exact_patterns) {
  std::int64_t value = 0;
  CHECK(ConstantReturn(Code({0xb8, 0x98, 0, 0, 0, 0xc3}), &value) && value == 152);
  CHECK(ConstantReturn(Code({0x55, 0x48, 0x89, 0xe5, 0xb8, 0x80, 0, 0, 0, 0x5d, 0xc3}), &value) && value == 128);
  CHECK(!ConstantReturn(Code({0xb8, 0x98, 0, 0, 0, 0x90, 0xc3}), &value));
  CHECK(InitialExecTlsLoad(Code({0x64, 0x48, 0x8b, 0x04, 0x25, 0xf0, 0xff, 0xff, 0xff, 0xc3}), &value) && value == -16);
  CHECK(!InitialExecTlsLoad(Code({0x48, 0x8b, 0x04, 0x25, 0xf0, 0xff, 0xff, 0xff}), &value));
}

TEST(derivation_step_thread_state_next_alone) {
  // ThreadState::Next(): next_ at 0x10, thread_manager_ at 0x20, and
  // thread_manager_->in_use_anchor_ at 0x40.
  FakeCode code;
  code.functions[v8_symbols::kStateNext] = {0x48, 0x8b, 0x47, 0x10,  // mov 0x10(%rdi),%rax
                                             0x48, 0x8b, 0x57, 0x20,  // mov 0x20(%rdi),%rdx
                                             0x48, 0x3b, 0x42, 0x40,  // cmp 0x40(%rdx),%rax
                                             0x74, 0x01, 0xc3,        // je +1; ret
                                             0x31, 0xc0, 0xc3};       // xor %eax,%eax; ret
  LayoutDerivation derivation(&code);
  REQUIRE(derivation.FindFunctions());
  DerivedLayout layout;
  REQUIRE(derivation.ThreadStateNext(&layout));
  CHECK(layout.thread_state_next == 0x10);
  CHECK(layout.thread_state_thread_manager == 0x20);
  CHECK(layout.thread_manager_in_use_anchor == 0x40);
}

TEST(derivation_steps_fail_with_a_reason_on_code_they_do_not_understand) {
  FakeCode code;  // every function is a bare `ret`
  LayoutDerivation derivation(&code);
  REQUIRE(derivation.FindFunctions());
  DerivedLayout layout;
  CHECK(!derivation.ThreadStateNext(&layout));
  CHECK(derivation.error().rfind("cannot decode ThreadState::Next", 0) == 0);
  LayoutDerivation sizes(&code);
  REQUIRE(sizes.FindFunctions());
  CHECK(!sizes.ArchiveSizes(&layout));
  CHECK(sizes.error().rfind("cannot read an ArchiveSpacePerThread", 0) == 0);
  CHECK(!LayoutDerivation(&code).Run(&layout));
}

TEST(derivation_step_archive_sizes_reads_each_constant) {
  FakeCode code;
  code.functions[v8_symbols::kHsiSize] = {0xb8, 0x98, 0, 0, 0, 0xc3};
  code.functions[v8_symbols::kRelocatableSize] = {0xb8, 0x08, 0, 0, 0, 0xc3};
  code.functions[v8_symbols::kDebugSize] = {0xb8, 0x58, 0, 0, 0, 0xc3};
  LayoutDerivation derivation(&code);
  REQUIRE(derivation.FindFunctions());
  DerivedLayout layout;
  REQUIRE(derivation.ArchiveSizes(&layout));
  CHECK(layout.hsi_size == 152 && layout.relocatable_size == 8 && layout.debug_size == 88);
}
