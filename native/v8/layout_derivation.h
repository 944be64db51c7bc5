// The pure part of finding V8's internals: from V8's machine code alone
// (a CodeSource: the running node, or a node executable file), the sizes
// of the archived pieces and the field offsets a switch needs.
//
// Nothing here is a table of versions, and nothing here runs V8 or reads
// the process: each step decodes one small V8 function (through the
// InstructionSet of the code, instruction_set.h) and names the V8 source it
// relies on, so that the next maintainer can re-read that source when a
// Node release breaks it. The addon runs these steps on itself at load
// (V8Layout, v8_layout.h), then adds what only a live process can tell and
// verifies every offset against the isolate (IsolateHooks::Bind). The
// offline check (native/tools/v8_layout_offline.cc) runs the same steps on
// a node executable file and prints the result (FormatLayout).

#ifndef FRINGE_V8_LAYOUT_DERIVATION_H
#define FRINGE_V8_LAYOUT_DERIVATION_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "v8/code_source.h"

namespace fringe {

/// Mangled names of the V8 functions the derivation and the switch use.
namespace v8_symbols {
extern const char kHsiArchive[];
extern const char kHsiRestore[];
extern const char kHsiFree[];
extern const char kHsiSize[];
extern const char kIsolateArchive[];
extern const char kIsolateInit[];
extern const char kRelocatableArchive[];
extern const char kRelocatableRestore[];
extern const char kRelocatableSize[];
extern const char kDebugArchive[];
extern const char kDebugRestore[];
extern const char kDebugThreadInit[];
extern const char kDebugSize[];
extern const char kStackGuardSetLimit[];
extern const char kStackGuardArchive[];
extern const char kEagerlyArchive[];
extern const char kStateNext[];
extern const char kStateUnlink[];
extern const char kLockerIsLocked[];
extern const char kHeapStack[];
extern const char kStackGetStart[];
extern const char kIsOnCentralStack[];  // V8 12.4 and later
extern const char kIsolateAddGCPrologue[];
extern const char kHeapAddGCPrologue[];
extern const char kDebugIsActiveAddress[];
extern const char kJsLimitAddress[];
extern const char kRealJsLimitAddress[];
extern const char kHsiAddress[];
extern const char kHandleScopeNextAddress[];
}  // namespace v8_symbols

/// What the code tells. Offsets are in bytes, -1 while unknown.
struct DerivedLayout {
  // Sizes of archived pieces: each ArchiveSpacePerThread's constant.
  std::size_t hsi_size = 0;
  std::size_t relocatable_size = 0;
  std::size_t debug_size = 0;

  std::ptrdiff_t isolate_thread_manager = -1;
  std::ptrdiff_t isolate_hsi = -1;
  std::ptrdiff_t isolate_debug = -1;
  std::ptrdiff_t isolate_stack_guard = -1;
  std::ptrdiff_t isolate_relocatable_top = -1;
  std::ptrdiff_t isolate_heap = -1;
  // cppgc's conservative-scan start: *(heap + heap_stack_holder) + isolate_stack_start.
  std::ptrdiff_t heap_stack_holder = -1;
  std::ptrdiff_t isolate_stack_start = -1;
  // The live HandleScopeData {next, limit, level, ...}, an Isolate field.
  std::ptrdiff_t isolate_handle_scope_data = -1;
  std::size_t handle_scope_data_size = 0;
  std::ptrdiff_t thread_manager_isolate = -1;
  std::ptrdiff_t thread_manager_in_use_anchor = -1;
  std::ptrdiff_t thread_state_data = -1;
  std::ptrdiff_t thread_state_next = -1;
  std::ptrdiff_t thread_state_previous = -1;
  std::ptrdiff_t thread_state_thread_manager = -1;
  std::size_t thread_state_size = 0;  // bytes our ThreadState stand-in needs
  std::ptrdiff_t debug_thread_local = -1;
  std::int64_t stack_start_tls = 0;        // thread-pointer offset of GetStackStart's cache
  std::ptrdiff_t isolate_stack_size = -1;  // Isolate::stack_size_ (V8 13+), or -1
  // Within Debug::thread_local_: last_step_action_ (an int8_t StepAction,
  // -1 = StepNone) and target_frame_count_ (int). -1 when they could not be
  // decoded: only a debugger's stepping across a switch needs them (see
  // V8ThreadState::RestoreDebugging), so generators still run without.
  std::ptrdiff_t debug_last_step_action = -1;
  std::ptrdiff_t debug_target_frame_count = -1;
};

/// Runs the derivation steps over one CodeSource.
class LayoutDerivation {
 public:
  explicit LayoutDerivation(CodeSource* source) : source_(source) {}

  /// Every step, in order; false with error() at the first that fails.
  /// FRINGE_FAULT_INJECTION (see InjectFault) applies here, so that tests
  /// of the offline check and of the addon see the same wrong value.
  bool Run(DerivedLayout* out);

  const std::string& error() const { return error_; }
  /// How the V8 functions were found: "dynamic symbols" or ".symtab".
  const char* symbol_source() const { return symbol_source_; }
  /// A function found by Run(), or null.
  const CodeSource::Function* function(const char* name) const;

  // The steps, each a pure function of the code (and of what earlier steps
  // found); each fills its fields of `out` or fails with a reason.
  bool FindFunctions();
  bool ArchiveSizes(DerivedLayout* out);
  bool ThreadStateNext(DerivedLayout* out);
  bool ThreadStateUnlink(DerivedLayout* out);
  bool EagerlyArchiveThread(DerivedLayout* out);
  bool IsolateThreadManager(DerivedLayout* out);
  bool IsolateRelocatableTop(DerivedLayout* out);
  bool DebugThreadLocal(DerivedLayout* out);
  bool IsolateHeap(DerivedLayout* out);
  void DebugStepping(DerivedLayout* out);  // unknown is not a failure
  bool HeapStack(DerivedLayout* out);
  bool IsolateHandleScopeData(DerivedLayout* out);
  bool StackStartTls(DerivedLayout* out);
  bool IsolateStackSize(DerivedLayout* out);
  void InjectFault(DerivedLayout* out);
  bool CheckSizes(DerivedLayout* out);

 private:
  code::Analysis Analyze(const char* name, int arguments, std::size_t max_bytes, bool all_paths = false) const;
  bool Fail(const std::string& what);

  CodeSource* source_;
  const InstructionSet* isa_ = nullptr;
  std::map<std::string, CodeSource::Function> found_;
  std::string error_;
  const char* symbol_source_ = "dynamic symbols";
};

/// The layout as "name value" lines (decimal; -1 unknown), the format the
/// offline check prints and its test reads.
std::string FormatLayout(const DerivedLayout& layout);

std::string Hex(std::int64_t v);

}  // namespace fringe

#endif  // FRINGE_V8_LAYOUT_DERIVATION_H
