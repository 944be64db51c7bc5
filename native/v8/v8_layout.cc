// See v8_layout.h. The decoding is in layout_derivation.cc; here is what
// needs the running process: calling V8's functions and reading the
// isolate.

#include "v8/v8_layout.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <v8.h>

#include "v8/arch/thread_pointer.h"
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

bool IsolateHooks::Bind(v8::Isolate* v8_isolate, const V8Layout& layout, IsolateHooks* out, std::string* error) {
  auto fail = [&](const std::string& what) {
    *error = what;
    return false;
  };
  if (!layout.ok()) return fail(layout.error());
  char* iso = reinterpret_cast<char*>(v8_isolate);
  auto word = [](const void* p) { return *static_cast<void* const*>(p); };
  IsolateHooks h;
  h.isolate = iso;

  // ThreadManager, with its back-pointer to the isolate and the in-use list.
  h.thread_manager = word(iso + layout.isolate_thread_manager);
  if (h.thread_manager == nullptr ||
      word(static_cast<char*>(h.thread_manager) + layout.thread_manager_isolate) != iso) {
    return fail("Isolate::thread_manager_ at " + Hex(layout.isolate_thread_manager) +
                " does not point back to the isolate");
  }
  h.in_use_anchor = static_cast<char*>(word(static_cast<char*>(h.thread_manager) + layout.thread_manager_in_use_anchor));
  if (h.in_use_anchor == nullptr ||
      word(h.in_use_anchor + layout.thread_state_thread_manager) != h.thread_manager ||
      word(static_cast<char*>(word(h.in_use_anchor + layout.thread_state_next)) + layout.thread_state_previous) !=
          h.in_use_anchor) {
    return fail("ThreadManager::in_use_anchor_ is not a ThreadState list");
  }

  // HandleScopeImplementer: the field the public accessor reports, and its
  // first member is the isolate.
  auto hsi_field = reinterpret_cast<void**>(layout.handle_scope_implementer_address(iso));
  if (reinterpret_cast<char*>(hsi_field) != iso + layout.isolate_hsi) {
    return fail("Isolate::handle_scope_implementer_: decoded " + Hex(layout.isolate_hsi) + ", reported " +
                Hex(reinterpret_cast<char*>(hsi_field) - iso));
  }
  h.hsi_field = hsi_field;
  h.hsi = *hsi_field;
  if (h.hsi == nullptr || word(h.hsi) != iso) return fail("HandleScopeImplementer::isolate_ mismatch");

  // HandleScopeData: where the public accessor says, and where RestoreThread
  // puts the implementer's copy. Probe: RestoreThread from a copy of the live
  // implementer whose saved data has the level changed must change the live
  // level; then put everything back.
  h.handle_scope_data = iso + layout.isolate_handle_scope_data;
  if (reinterpret_cast<char*>(layout.handle_scope_next_address(iso)) != h.handle_scope_data) {
    return fail("Isolate::handle_scope_data_: decoded " + Hex(layout.isolate_handle_scope_data) + ", reported " +
                Hex(static_cast<std::int64_t>(layout.handle_scope_next_address(iso) - reinterpret_cast<std::uintptr_t>(iso))));
  }
  {
    const std::size_t n = layout.handle_scope_data_size;
    std::vector<char> saved_hsi(layout.hsi_size), saved_data(n), blob(layout.hsi_size);
    std::memcpy(saved_hsi.data(), h.hsi, layout.hsi_size);
    std::memcpy(saved_data.data(), h.handle_scope_data, n);
    std::memcpy(blob.data(), h.hsi, layout.hsi_size);
    bool fits = layout.hsi_handle_scope_data >= 0 &&
                static_cast<std::size_t>(layout.hsi_handle_scope_data) + n <= layout.hsi_size && n >= 16;
    bool moved = false;
    if (fits) {
      char* copy = blob.data() + layout.hsi_handle_scope_data;
      std::memcpy(copy, saved_data.data(), n);
      int level;
      std::memcpy(&level, copy + 2 * sizeof(void*), sizeof level);  // {next, limit, level, ...}
      level += 1000;
      std::memcpy(copy + 2 * sizeof(void*), &level, sizeof level);
      layout.hsi_restore(h.hsi, blob.data());
      moved = std::memcmp(h.handle_scope_data, copy, n) == 0;
      std::memcpy(h.hsi, saved_hsi.data(), layout.hsi_size);
      std::memcpy(h.handle_scope_data, saved_data.data(), n);
    }
    if (!moved) {
      return fail("HandleScopeImplementer::handle_scope_data_ is not at HandleScopeImplementer+" +
                  Hex(layout.hsi_handle_scope_data));
    }
  }

  // ThreadLocalTop: what Isolate::ArchiveThread copies is at the offset the
  // public header gives, and it holds the isolate.
  h.tlt = iso + layout.isolate_tlt;
  {
    std::vector<char> copy(layout.tlt_size + 64);
    char* end = layout.isolate_archive(iso, copy.data());
    if (end != copy.data() + layout.tlt_size || std::memcmp(copy.data(), h.tlt, layout.tlt_size) != 0) {
      return fail("ThreadLocalTop is not where v8-internal.h says");
    }
    bool holds_isolate = false;
    for (std::size_t i = 0; i + sizeof(void*) <= layout.tlt_size; i += sizeof(void*)) {
      holds_isolate |= word(h.tlt + i) == iso;
    }
    if (!holds_isolate) return fail("ThreadLocalTop does not hold its isolate");
  }

  // Debug::thread_local_: ArchiveDebug copies exactly those bytes.
  h.debug = word(iso + layout.isolate_debug);
  if (h.debug == nullptr) return fail("Isolate::debug_ is null");
  h.debug_thread_local = static_cast<char*>(h.debug) + layout.debug_thread_local;
  {
    std::vector<char> copy(layout.debug_size + 64);
    char* end = layout.debug_archive(h.debug, copy.data());
    if (end != copy.data() + layout.debug_size ||
        std::memcmp(copy.data(), h.debug_thread_local, layout.debug_size) != 0) {
      return fail("Debug::thread_local_ is not at Debug+" + Hex(layout.debug_thread_local));
    }
  }
  h.debug_is_active = reinterpret_cast<const bool*>(layout.debug_is_active_address(iso));
  // current_debug_scope_: null, or (fringe loaded from a debugger's
  // evaluation) a DebugScope on this stack, above this frame.
  h.debug_scope = reinterpret_cast<void* const*>(h.debug_thread_local);
  {
    const auto scope = reinterpret_cast<std::uintptr_t>(*h.debug_scope);
    const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    constexpr std::uintptr_t kStackReach = std::uintptr_t{1} << 30;
    if (scope != 0 && (scope < here || scope - here > kStackReach)) {
      return fail("Debug::thread_local_ does not begin with current_debug_scope_ (it holds " + Hex(static_cast<std::int64_t>(scope)) + ")");
    }
  }
  // Stepping fields: a StepAction from StepNone (-1) to StepInto (2), and
  // with StepNone the target is -1 (ThreadInit and ClearStepping set both).
  // Unverified means unknown, not unsupported: see V8Layout.
  if (layout.debug_last_step_action >= 0 && layout.debug_target_frame_count >= 0 &&
      static_cast<std::size_t>(layout.debug_last_step_action) < layout.debug_size &&
      static_cast<std::size_t>(layout.debug_target_frame_count) + 4 <= layout.debug_size) {
    auto* step = reinterpret_cast<const std::int8_t*>(h.debug_thread_local + layout.debug_last_step_action);
    auto* target = reinterpret_cast<std::int32_t*>(h.debug_thread_local + layout.debug_target_frame_count);
    if (*step >= -1 && *step <= 2 && (*step != -1 || *target == -1)) {
      h.debug_last_step_action = step;
      h.debug_target_frame_count = target;
    }
  }

  // Relocatable::top_: Relocatable::ArchiveState must move exactly this
  // word. A sentinel in the candidate field shows it (the field is usually
  // null, like its neighbours); RestoreState puts it back.
  h.relocatable_top = reinterpret_cast<void**>(iso + layout.isolate_relocatable_top);
  {
    void* original = *h.relocatable_top;
    void* const sentinel = reinterpret_cast<void*>(std::uintptr_t{0x5afe5afe0});
    void* saved[2] = {nullptr, nullptr};
    *h.relocatable_top = sentinel;
    char* end = layout.relocatable_archive(iso, reinterpret_cast<char*>(saved));
    bool moved = saved[0] == sentinel && *h.relocatable_top == nullptr &&
                 end == reinterpret_cast<char*>(saved) + layout.relocatable_size;
    layout.relocatable_restore(iso, reinterpret_cast<char*>(saved));
    *h.relocatable_top = original;
    if (!moved) {
      return fail("Isolate::relocatable_top_ is not at isolate+" + Hex(layout.isolate_relocatable_top));
    }
  }

  // StackGuard::ThreadLocal: {real_jslimit_, real_climit_, jslimit_,
  // climit_, ...} up to V8 12.4; V8 13 dropped the C limits (C++ checks use
  // the JS limit), leaving {real_jslimit_, -, jslimit_, -, ...}. The public
  // accessors report the JS limits; which C limits exist is seen by calling
  // StackGuard::SetStackLimit with a probe value and watching which words
  // change, then setting the original limit back the same way.
  h.real_jslimit = reinterpret_cast<std::uintptr_t*>(layout.address_of_real_jslimit(iso));
  h.jslimit = reinterpret_cast<std::uintptr_t*>(layout.address_of_jslimit(iso));
  if (reinterpret_cast<char*>(h.real_jslimit) != iso + layout.isolate_stack_guard + sizeof(void*) ||
      h.jslimit != h.real_jslimit + 2) {
    return fail("StackGuard::ThreadLocal does not start with {real_jslimit_, ?, jslimit_}");
  }
  {
    auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    const std::uintptr_t original = *h.real_jslimit;
    if (!(original < here && here - original < (std::uintptr_t{1} << 30))) {
      return fail("the stack guard's JS limit is not below the current stack");
    }
    std::uintptr_t* words = h.real_jslimit;  // the four words after StackGuard::isolate_
    std::uintptr_t before[4];
    std::memcpy(before, words, sizeof before);
    const std::uintptr_t probe = original - 8 * 4096;
    layout.stack_guard_set_limit(iso + layout.isolate_stack_guard, probe);
    bool changed[4];
    for (int i = 0; i < 4; i++) changed[i] = words[i] != before[i];
    bool real_c = words[1] == probe;
    // Tests: another thread's interrupt request landing mid-probe.
    const char* fault = std::getenv("FRINGE_FAULT_INJECTION");
    if (fault != nullptr && std::strcmp(fault, "interrupt_during_stack_probe") == 0) {
      v8_isolate->RequestInterrupt([](v8::Isolate*, void*) { std::fputs("fringe: injected interrupt ran\n", stderr); }, nullptr);
    }
    layout.stack_guard_set_limit(iso + layout.isolate_stack_guard, original);
    // jslimit_ (and climit_ up to V8 12.4) double as the interrupt flag:
    // another thread may store kInterruptLimit there at any moment (a
    // worker.terminate() while the worker loads fringe did, in the soak),
    // and SetStackLimit then leaves them alone. Only the real limits are
    // SetStackLimit's alone.
    constexpr std::uintptr_t kInterruptLimit = ~std::uintptr_t{1};
    auto back = [&](int i) { return words[i] == before[i] || (i >= 2 && words[i] == kInterruptLimit); };
    bool restored = back(0) && back(1) && back(2) && back(3);
    if (!restored || !changed[0] || words[0] != original) {
      return fail("StackGuard::SetStackLimit does not set StackGuard::real_jslimit_ as expected");
    }
    if (real_c && changed[1]) {
      h.real_climit = h.real_jslimit + 1;
      h.climit = h.real_jslimit + 3;
    } else if (!changed[1] && !changed[3]) {
      // No C limits: a switch writes them into two spare words of this
      // thread (an isolate stays on the thread that binds it).
      static thread_local std::uintptr_t spare_limits[2];
      h.real_climit = &spare_limits[0];
      h.climit = &spare_limits[1];
    } else {
      return fail("StackGuard::SetStackLimit writes words fringe does not know");
    }
  }

  // cppgc stack start: V8's own idea of where this thread's stack starts
  // (v8::base::Stack::GetStackStart: the top of the pthread stack on V8
  // 11.3, glibc's __libc_stack_end for the main thread on 12.4 and later).
  char* holder = static_cast<char*>(word(iso + layout.isolate_heap + layout.heap_stack_holder));
  if (holder == nullptr) return fail("Heap::stack() has no stack yet");
  h.stack_start = reinterpret_cast<const void**>(holder + layout.isolate_stack_start);
  {
    const void* top = layout.thread_stack_start();
    if (*h.stack_start != top) {
      return fail("Heap::stack().stack_start_ at heap[+" + Hex(layout.heap_stack_holder) + "]+" +
                  Hex(layout.isolate_stack_start) + " is not the thread's stack start");
    }
    h.thread_stack_start = top;
    h.stack_start_tls = reinterpret_cast<const void**>(ThreadPointer() + layout.stack_start_tls);
    if (*h.stack_start_tls != top) {
      return fail("v8::base::Stack::GetStackStart's thread-local cache is not at the thread pointer + " +
                  Hex(layout.stack_start_tls));
    }
  }
  // Isolate::stack_size_: v8::Isolate::SetStackLimit sets it to the distance
  // from the stack start to the limit, so it is at most the thread's stack.
  if (layout.isolate_stack_size >= 0) {
    h.stack_size = reinterpret_cast<std::size_t*>(iso + layout.isolate_stack_size);
    const auto start = reinterpret_cast<std::uintptr_t>(h.thread_stack_start);
    if (*h.stack_size < 64 * 1024 || *h.stack_size > start - *h.real_jslimit + (1 << 20)) {
      return fail("Isolate::stack_size_ at isolate+" + Hex(layout.isolate_stack_size) + " is not a stack size");
    }
  } else {
    static thread_local std::size_t spare_stack_size;
    h.stack_size = &spare_stack_size;
  }
  *out = h;
  return true;
}

}  // namespace fringe
