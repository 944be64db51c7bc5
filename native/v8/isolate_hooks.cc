// See isolate_hooks.h. One function per verification, in the order Bind()
// runs them; each quotes the V8 layout it relies on.

#include "v8/isolate_hooks.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <v8.h>

#include "v8/arch/thread_pointer.h"

namespace fringe {

namespace {

void* Word(const void* p) { return *static_cast<void* const*>(p); }

// The hooks of one isolate while they are being bound and verified.
struct IsolateBinding {
  IsolateBinding(v8::Isolate* v8_isolate, const V8Layout& layout, std::string* error)
      : v8_isolate(v8_isolate), layout(layout), iso(reinterpret_cast<char*>(v8_isolate)), error(error) {
    h.isolate = iso;
  }

  bool ThreadManager();
  bool HandleScopeImplementer();
  bool HandleScopeData();
  bool ThreadLocalTop();
  bool DebugThreadLocal();
  bool DebugStepping();
  bool RelocatableTop();
  bool StackLimits();
  bool StackStart();
  bool StackSize();
  void MeasureHandleBlocks();

  bool Fail(const std::string& what) {
    *error = what;
    return false;
  }

  v8::Isolate* const v8_isolate;
  const V8Layout& layout;
  char* const iso;
  std::string* const error;
  IsolateHooks h;
};

bool IsolateBinding::ThreadManager() {
  // ThreadManager, with its back-pointer to the isolate and the in-use list.
  h.thread_manager = Word(iso + layout.isolate_thread_manager);
  if (h.thread_manager == nullptr ||
      Word(static_cast<char*>(h.thread_manager) + layout.thread_manager_isolate) != iso) {
    return Fail("Isolate::thread_manager_ at " + Hex(layout.isolate_thread_manager) +
                " does not point back to the isolate");
  }
  h.in_use_anchor = static_cast<char*>(Word(static_cast<char*>(h.thread_manager) + layout.thread_manager_in_use_anchor));
  if (h.in_use_anchor == nullptr ||
      Word(h.in_use_anchor + layout.thread_state_thread_manager) != h.thread_manager ||
      Word(static_cast<char*>(Word(h.in_use_anchor + layout.thread_state_next)) + layout.thread_state_previous) !=
          h.in_use_anchor) {
    return Fail("ThreadManager::in_use_anchor_ is not a ThreadState list");
  }
  return true;
}

bool IsolateBinding::HandleScopeImplementer() {
  // HandleScopeImplementer: the field the public accessor reports, and its
  // first member is the isolate.
  auto hsi_field = reinterpret_cast<void**>(layout.handle_scope_implementer_address(iso));
  if (reinterpret_cast<char*>(hsi_field) != iso + layout.isolate_hsi) {
    return Fail("Isolate::handle_scope_implementer_: decoded " + Hex(layout.isolate_hsi) + ", reported " +
                Hex(reinterpret_cast<char*>(hsi_field) - iso));
  }
  h.hsi_field = hsi_field;
  h.hsi = *hsi_field;
  if (h.hsi == nullptr || Word(h.hsi) != iso) return Fail("HandleScopeImplementer::isolate_ mismatch");
  return true;
}

bool IsolateBinding::HandleScopeData() {
  // HandleScopeData: where the public accessor says, and where RestoreThread
  // puts the implementer's copy. Probe: RestoreThread from a copy of the live
  // implementer whose saved data has the level changed must change the live
  // level; then put everything back.
  h.handle_scope_data = iso + layout.isolate_handle_scope_data;
  if (reinterpret_cast<char*>(layout.handle_scope_next_address(iso)) != h.handle_scope_data) {
    return Fail("Isolate::handle_scope_data_: decoded " + Hex(layout.isolate_handle_scope_data) + ", reported " +
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
      return Fail("HandleScopeImplementer::handle_scope_data_ is not at HandleScopeImplementer+" +
                  Hex(layout.hsi_handle_scope_data));
    }
  }
  return true;
}

bool IsolateBinding::ThreadLocalTop() {
  // ThreadLocalTop: what Isolate::ArchiveThread copies is at the offset the
  // public header gives, and it holds the isolate.
  h.tlt = iso + layout.isolate_tlt;
  {
    std::vector<char> copy(layout.tlt_size + 64);
    char* end = layout.isolate_archive(iso, copy.data());
    if (end != copy.data() + layout.tlt_size || std::memcmp(copy.data(), h.tlt, layout.tlt_size) != 0) {
      return Fail("ThreadLocalTop is not where v8-internal.h says");
    }
    bool holds_isolate = false;
    for (std::size_t i = 0; i + sizeof(void*) <= layout.tlt_size; i += sizeof(void*)) {
      holds_isolate |= Word(h.tlt + i) == iso;
    }
    if (!holds_isolate) return Fail("ThreadLocalTop does not hold its isolate");
  }
  return true;
}

bool IsolateBinding::DebugThreadLocal() {
  // Debug::thread_local_: ArchiveDebug copies exactly those bytes.
  h.debug = Word(iso + layout.isolate_debug);
  if (h.debug == nullptr) return Fail("Isolate::debug_ is null");
  h.debug_thread_local = static_cast<char*>(h.debug) + layout.debug_thread_local;
  {
    std::vector<char> copy(layout.debug_size + 64);
    char* end = layout.debug_archive(h.debug, copy.data());
    if (end != copy.data() + layout.debug_size ||
        std::memcmp(copy.data(), h.debug_thread_local, layout.debug_size) != 0) {
      return Fail("Debug::thread_local_ is not at Debug+" + Hex(layout.debug_thread_local));
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
      return Fail("Debug::thread_local_ does not begin with current_debug_scope_ (it holds " + Hex(static_cast<std::int64_t>(scope)) + ")");
    }
  }
  return true;
}

bool IsolateBinding::DebugStepping() {
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
  return true;
}

bool IsolateBinding::RelocatableTop() {
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
      return Fail("Isolate::relocatable_top_ is not at isolate+" + Hex(layout.isolate_relocatable_top));
    }
  }
  return true;
}

bool IsolateBinding::StackLimits() {
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
    return Fail("StackGuard::ThreadLocal does not start with {real_jslimit_, ?, jslimit_}");
  }
  {
    auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    const std::uintptr_t original = *h.real_jslimit;
    if (!(original < here && here - original < (std::uintptr_t{1} << 30))) {
      return Fail("the stack guard's JS limit is not below the current stack");
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
      return Fail("StackGuard::SetStackLimit does not set StackGuard::real_jslimit_ as expected");
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
      return Fail("StackGuard::SetStackLimit writes words fringe does not know");
    }
  }
  return true;
}

bool IsolateBinding::StackStart() {
  // cppgc stack start: V8's own idea of where this thread's stack starts
  // (v8::base::Stack::GetStackStart: the top of the pthread stack on V8
  // 11.3, glibc's __libc_stack_end for the main thread on 12.4 and later).
  char* holder = static_cast<char*>(Word(iso + layout.isolate_heap + layout.heap_stack_holder));
  if (holder == nullptr) return Fail("Heap::stack() has no stack yet");
  h.stack_start = reinterpret_cast<const void**>(holder + layout.isolate_stack_start);
  {
    const void* top = layout.thread_stack_start();
    if (*h.stack_start != top) {
      return Fail("Heap::stack().stack_start_ at heap[+" + Hex(layout.heap_stack_holder) + "]+" +
                  Hex(layout.isolate_stack_start) + " is not the thread's stack start");
    }
    h.thread_stack_start = top;
    h.stack_start_tls = reinterpret_cast<const void**>(ThreadPointer() + layout.stack_start_tls);
    if (*h.stack_start_tls != top) {
      return Fail("v8::base::Stack::GetStackStart's thread-local cache is not at the thread pointer + " +
                  Hex(layout.stack_start_tls));
    }
  }
  return true;
}

bool IsolateBinding::StackSize() {
  // Isolate::stack_size_: v8::Isolate::SetStackLimit sets it to the distance
  // from the stack start to the limit, so it is at most the thread's stack.
  if (layout.isolate_stack_size >= 0) {
    h.stack_size = reinterpret_cast<std::size_t*>(iso + layout.isolate_stack_size);
    const auto start = reinterpret_cast<std::uintptr_t>(h.thread_stack_start);
    if (*h.stack_size < 64 * 1024 || *h.stack_size > start - *h.real_jslimit + (1 << 20)) {
      return Fail("Isolate::stack_size_ at isolate+" + Hex(layout.isolate_stack_size) + " is not a stack size");
    }
  } else {
    static thread_local std::size_t spare_stack_size;
    h.stack_size = &spare_stack_size;
  }
  return true;
}

// Where a HandleScopeImplementer keeps its spare block, and how long V8's
// handle blocks are, so that a fiber's first block can live in its stack
// (V8Switch::InitStack). A scratch implementer, emptied the way a fiber's
// is made (ArchiveThread), is made current; one handle in one scope makes
// HandleScope::Extend allocate a block (the handle is its first slot, the
// scope's limit its end), and closing the scope makes that block the spare
// (DeleteExtensions): the one word of the implementer that holds it is
// spare_. Then FreeThreadResources frees the block, and the live state is
// put back. Nothing found, or found twice: fibers keep V8's blocks.
void IsolateBinding::MeasureHandleBlocks() {
  const char* fault = std::getenv("FRINGE_FAULT_INJECTION");
  if (fault != nullptr && std::strcmp(fault, "handle_blocks_unmeasured") == 0) return;
  alignas(16) char implementer[1024];
  alignas(16) char scratch[1088];
  alignas(16) char live[256];
  if (layout.hsi_size > sizeof implementer || layout.handle_scope_data_size > sizeof live) return;
  std::memcpy(implementer, h.hsi, layout.hsi_size);
  std::memcpy(live, h.handle_scope_data, layout.handle_scope_data_size);
  layout.hsi_archive(implementer, scratch);  // empties the copy, zeroes the live data
  *h.hsi_field = implementer;
  char* block = nullptr;
  char* limit = nullptr;
  {
    v8::HandleScope scope(v8_isolate);
    // A Smi: a handle that allocates nothing on the heap, so no GC can run
    // while V8's own implementer (the thread's live handles) is not current.
    v8::Local<v8::Integer> handle = v8::Integer::New(v8_isolate, 1);
    static_assert(sizeof handle == sizeof block, "a Local is one pointer");
    std::memcpy(&block, &handle, sizeof block);  // its slot (were it a direct handle, nothing matches)
    limit = *reinterpret_cast<char**>(h.handle_scope_data + sizeof(void*));  // HandleScopeData::limit
  }
  int found = 0;
  std::ptrdiff_t spare = -1;
  for (std::size_t offset = 0; offset + sizeof(void*) <= layout.hsi_size; offset += sizeof(void*)) {
    if (*reinterpret_cast<char**>(implementer + offset) == block) {
      spare = static_cast<std::ptrdiff_t>(offset);
      found++;
    }
  }
  const std::size_t bytes = limit > block ? static_cast<std::size_t>(limit - block) : 0;
  layout.hsi_free(implementer);
  *h.hsi_field = h.hsi;
  std::memcpy(h.handle_scope_data, live, layout.handle_scope_data_size);
  if (found == 1 && bytes >= 1024 && bytes <= 64 * 1024 && bytes % sizeof(void*) == 0) {
    h.hsi_spare = spare;
    h.handle_block_bytes = bytes;
  }
}

}  // namespace

bool IsolateHooks::Bind(v8::Isolate* v8_isolate, const V8Layout& layout, IsolateHooks* out, std::string* error) {
  if (!layout.ok()) {
    *error = layout.error();
    return false;
  }
  IsolateBinding b(v8_isolate, layout, error);
  if (!b.ThreadManager() || !b.HandleScopeImplementer() || !b.HandleScopeData() || !b.ThreadLocalTop() ||
      !b.DebugThreadLocal() || !b.DebugStepping() || !b.RelocatableTop() || !b.StackLimits() || !b.StackStart() ||
      !b.StackSize()) {
    return false;
  }
  b.MeasureHandleBlocks();
  *out = b.h;
  return true;
}

}  // namespace fringe
