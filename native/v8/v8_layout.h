// Where V8 keeps the per-thread state that a coroutine switch saves and
// restores, in the node executable that is running.
//
// Nothing here is a table of versions. V8Layout::Get() runs the layout
// derivation (layout_derivation.h: V8's functions found by symbol, a
// handful of small functions decoded to learn field offsets) on the
// running node, then adds what only the process can tell: the sizes
// v8-internal.h fixes for the V8 it was built against, and one offset
// measured by running a V8 function on fake objects.
// IsolateHooks::Bind() (isolate_hooks.h) turns the offsets into pointers
// for one isolate and verifies each of them.

#ifndef FRINGE_V8_V8_LAYOUT_H
#define FRINGE_V8_V8_LAYOUT_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "v8/layout_derivation.h"

namespace fringe {

class V8Layout : public DerivedLayout {
 public:
  using ArchiveFunction = char* (*)(void* self, char* storage);
  using MemberFunction = void (*)(void* self);
  using AddressFunction = std::uintptr_t (*)(void* isolate);
  using StackStartFunction = const void* (*)();
  using SetLimitFunction = void (*)(void* stack_guard, std::uintptr_t limit);

  /// Resolved once per process; check ok() before use. With
  /// FRINGE_PRINT_V8_LAYOUT=1 it prints the derived layout to stderr
  /// (FormatLayout), which the offline check's test compares with what it
  /// derives from the same node's file.
  static const V8Layout& Get();

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  /// How the V8 functions were found: "dynamic symbols" or ".symtab".
  const char* symbol_source() const { return symbol_source_; }

  // Functions V8 uses to archive a thread; a switch calls some of them.
  ArchiveFunction hsi_archive = nullptr;     // HandleScopeImplementer::ArchiveThread
  ArchiveFunction hsi_restore = nullptr;     // HandleScopeImplementer::RestoreThread
  MemberFunction hsi_free = nullptr;         // HandleScopeImplementer::FreeThreadResources
  ArchiveFunction isolate_archive = nullptr; // Isolate::ArchiveThread (copies ThreadLocalTop)
  MemberFunction isolate_init_thread = nullptr;  // Isolate::InitializeThreadLocal
  ArchiveFunction debug_archive = nullptr;   // Debug::ArchiveDebug
  ArchiveFunction debug_restore = nullptr;   // Debug::RestoreDebug (walks the stack)
  // Relocatable::ArchiveState/RestoreState take the isolate as `self`.
  ArchiveFunction relocatable_archive = nullptr;
  ArchiveFunction relocatable_restore = nullptr;
  MemberFunction debug_thread_init = nullptr;    // Debug::ThreadInit
  AddressFunction debug_is_active_address = nullptr;
  AddressFunction address_of_jslimit = nullptr;
  AddressFunction address_of_real_jslimit = nullptr;
  AddressFunction handle_scope_implementer_address = nullptr;
  AddressFunction handle_scope_next_address = nullptr;
  StackStartFunction thread_stack_start = nullptr;  // v8::base::Stack::GetStackStart
  SetLimitFunction stack_guard_set_limit = nullptr;  // StackGuard::SetStackLimit

  // Sizes of the archived pieces, in the order ThreadManager::Iterate reads
  // them: HandleScopeImplementer, ThreadLocalTop, Relocatable, StackGuard,
  // Debug (DerivedLayout has the decoded ones; these two come from
  // v8-internal.h).
  std::size_t tlt_size = 0;
  std::size_t stack_guard_size = 0;
  std::size_t archive_size = 0;  // all of them

  std::ptrdiff_t isolate_tlt = -1;  // v8-internal.h
  // Where each HandleScopeImplementer keeps its copy of the HandleScopeData
  // while it is archived (measured: see MeasureImplementerHandleScopeData).
  std::ptrdiff_t hsi_handle_scope_data = -1;

 private:
  V8Layout() = default;
  void Resolve();
  void BindFunctions(const LayoutDerivation& derivation);
  bool HeaderConstants();
  bool MeasureImplementerHandleScopeData();
  bool Fail(const std::string& what);

  std::string error_;
  const char* symbol_source_ = "dynamic symbols";
};

}  // namespace fringe

#endif  // FRINGE_V8_V8_LAYOUT_H
