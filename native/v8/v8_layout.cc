// See v8_layout.h. The decoding is in layout_derivation.cc; here is what
// needs the running process: calling V8's functions and reading the
// isolate.

#include "v8/v8_layout.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <v8.h>

#include "v8/process_code.h"

namespace fringe {

namespace {
namespace sym = v8_symbols;
}  // namespace

const V8Layout& V8Layout::Get() {
  static const V8Layout* layout = [] {
    auto* l = new V8Layout();
    l->Resolve();
    const char* print = std::getenv("FRINGE_PRINT_V8_LAYOUT");
    if (print != nullptr && std::strcmp(print, "1") == 0) {
      std::fprintf(stderr, "%s%s", FormatLayout(*l).c_str(), l->ok() ? "" : ("error " + l->error() + "\n").c_str());
    }
    return l;
  }();
  return *layout;
}

bool V8Layout::Fail(const std::string& what) {
  if (error_.empty()) error_ = what;
  return false;
}

void V8Layout::Resolve() {
  ProcessCode code;
  LayoutDerivation derivation(&code);
  if (!derivation.Run(this)) {
    Fail(derivation.error());
    return;
  }
  symbol_source_ = derivation.symbol_source();
  BindFunctions(derivation);
  if (!HeaderConstants() || !MeasureImplementerHandleScopeData()) return;
  // See LayoutDerivation::InjectFault: this offset is measured here.
  const char* fault = std::getenv("FRINGE_FAULT_INJECTION");
  if (fault != nullptr && std::strcmp(fault, "handle_scope_data_offset") == 0) hsi_handle_scope_data += sizeof(void*);
  archive_size = hsi_size + tlt_size + relocatable_size + stack_guard_size + debug_size;
}

void V8Layout::BindFunctions(const LayoutDerivation& derivation) {
  auto fn = [&](const char* name) { return derivation.function(name)->code.address; };
  hsi_archive = reinterpret_cast<ArchiveFunction>(fn(sym::kHsiArchive));
  hsi_restore = reinterpret_cast<ArchiveFunction>(fn(sym::kHsiRestore));
  hsi_free = reinterpret_cast<MemberFunction>(fn(sym::kHsiFree));
  isolate_archive = reinterpret_cast<ArchiveFunction>(fn(sym::kIsolateArchive));
  isolate_init_thread = reinterpret_cast<MemberFunction>(fn(sym::kIsolateInit));
  debug_archive = reinterpret_cast<ArchiveFunction>(fn(sym::kDebugArchive));
  debug_restore = reinterpret_cast<ArchiveFunction>(fn(sym::kDebugRestore));
  relocatable_archive = reinterpret_cast<ArchiveFunction>(fn(sym::kRelocatableArchive));
  relocatable_restore = reinterpret_cast<ArchiveFunction>(fn(sym::kRelocatableRestore));
  debug_thread_init = reinterpret_cast<MemberFunction>(fn(sym::kDebugThreadInit));
  debug_is_active_address = reinterpret_cast<AddressFunction>(fn(sym::kDebugIsActiveAddress));
  address_of_jslimit = reinterpret_cast<AddressFunction>(fn(sym::kJsLimitAddress));
  address_of_real_jslimit = reinterpret_cast<AddressFunction>(fn(sym::kRealJsLimitAddress));
  handle_scope_implementer_address = reinterpret_cast<AddressFunction>(fn(sym::kHsiAddress));
  handle_scope_next_address = reinterpret_cast<AddressFunction>(fn(sym::kHandleScopeNextAddress));
  thread_stack_start = reinterpret_cast<StackStartFunction>(fn(sym::kStackGetStart));
  stack_guard_set_limit = reinterpret_cast<SetLimitFunction>(fn(sym::kStackGuardSetLimit));
}

// ThreadLocalTop's and StackGuard's archive sizes are inline in V8's
// headers; their sizes are public layout constants of v8-internal.h
// (checked in Bind() against what Isolate::ArchiveThread copies), and the
// decoded stack guard must be where the header says.
bool V8Layout::HeaderConstants() {
  tlt_size = v8::internal::Internals::kThreadLocalTopSize;
  stack_guard_size = v8::internal::Internals::kStackGuardSize - sizeof(void*);  // minus StackGuard::isolate_
  isolate_tlt = v8::internal::Internals::kIsolateThreadLocalTopOffset;
  if (isolate_stack_guard != v8::internal::Internals::kIsolateStackGuardOffset) {
    return Fail("the stack guard is at isolate+" + Hex(isolate_stack_guard) + ", v8-internal.h says " +
                Hex(v8::internal::Internals::kIsolateStackGuardOffset));
  }
  return true;
}

// HandleScopeImplementer::RestoreThread(from) copies `from` over itself,
// then its handle_scope_data_ to the isolate's live data (where, the
// derivation decoded). Which implementer bytes it copies is left to the
// compiler (V8 12.4's gcc reuses a register of the copy, 14.6's clang reads
// `from`), so it is measured: run RestoreThread on a fake implementer and
// isolate of our own, with each word of `from` holding its own offset, and
// read back which words arrived.
bool V8Layout::MeasureImplementerHandleScopeData() {
  const std::size_t words = hsi_size / 8;
  const std::size_t live_lo = static_cast<std::size_t>(isolate_handle_scope_data);
  const std::size_t n = handle_scope_data_size / 8;
  constexpr std::uint64_t kMark = 0x5eed000000000000;
  std::vector<std::uint64_t> from(words), fake_hsi(words), fake_isolate(live_lo / 8 + n + 8);
  for (std::size_t i = 0; i < words; i++) from[i] = kMark | (i * 8);
  from[0] = fake_hsi[0] = reinterpret_cast<std::uint64_t>(fake_isolate.data());  // isolate_
  char* end = hsi_restore(fake_hsi.data(), reinterpret_cast<char*>(from.data()));
  const std::uint64_t* live = &fake_isolate[live_lo / 8];
  bool consecutive = end == reinterpret_cast<char*>(from.data()) + hsi_size && (live[0] & ~0xffffull) == kMark;
  for (std::size_t i = 1; consecutive && i < n; i++) consecutive = live[i] == live[0] + i * 8;
  if (!consecutive) {
    return Fail("HandleScopeImplementer::RestoreThread does not copy one run of the implementer to the isolate");
  }
  hsi_handle_scope_data = static_cast<std::ptrdiff_t>(live[0] & 0xffff);
  return true;
}

}  // namespace fringe
