// See v8_layout.h. Each derivation names the V8 source it relies on, so that
// the next maintainer can re-read that source when a Node release breaks it.

#include "v8/v8_layout.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include <v8.h>

#include "v8/symbols.h"
#include "v8/arch/x86_64/decoder.h"

namespace fringe {

namespace {

// Mangled names of the functions used, as V8 declares them.
namespace sym {
const char kHsiArchive[] = "_ZN2v88internal22HandleScopeImplementer13ArchiveThreadEPc";
const char kHsiRestore[] = "_ZN2v88internal22HandleScopeImplementer13RestoreThreadEPc";
const char kHsiFree[] = "_ZN2v88internal22HandleScopeImplementer19FreeThreadResourcesEv";
const char kHsiSize[] = "_ZN2v88internal22HandleScopeImplementer21ArchiveSpacePerThreadEv";
const char kIsolateArchive[] = "_ZN2v88internal7Isolate13ArchiveThreadEPc";
const char kIsolateInit[] = "_ZN2v88internal7Isolate21InitializeThreadLocalEv";
const char kRelocatableArchive[] = "_ZN2v88internal11Relocatable12ArchiveStateEPNS0_7IsolateEPc";
const char kRelocatableRestore[] = "_ZN2v88internal11Relocatable12RestoreStateEPNS0_7IsolateEPc";
const char kRelocatableSize[] = "_ZN2v88internal11Relocatable21ArchiveSpacePerThreadEv";
const char kDebugArchive[] = "_ZN2v88internal5Debug12ArchiveDebugEPc";
const char kDebugRestore[] = "_ZN2v88internal5Debug12RestoreDebugEPc";
const char kDebugThreadInit[] = "_ZN2v88internal5Debug10ThreadInitEv";
const char kDebugSize[] = "_ZN2v88internal5Debug21ArchiveSpacePerThreadEv";
const char kStackGuardSetLimit[] = "_ZN2v88internal10StackGuard13SetStackLimitEm";
const char kStackGuardArchive[] = "_ZN2v88internal10StackGuard17ArchiveStackGuardEPc";
const char kEagerlyArchive[] = "_ZN2v88internal13ThreadManager20EagerlyArchiveThreadEv";
const char kStateNext[] = "_ZN2v88internal11ThreadState4NextEv";
const char kStateUnlink[] = "_ZN2v88internal11ThreadState6UnlinkEv";
const char kLockerIsLocked[] = "_ZN2v86Locker8IsLockedEPNS_7IsolateE";
const char kHeapStack[] = "_ZN2v88internal4Heap5stackEv";
const char kStackGetStart[] = "_ZN2v84base5Stack13GetStackStartEv";
const char kIsOnCentralStack[] = "_ZN2v88internal7Isolate16IsOnCentralStackEv";  // V8 12.4 and later
const char kIsolateAddGCPrologue[] =
    "_ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEES2_";
const char kHeapAddGCPrologue[] =
    "_ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_";
const char kDebugIsActiveAddress[] = "_ZN2v88internal17ExternalReference23debug_is_active_addressEPNS0_7IsolateE";
const char kJsLimitAddress[] = "_ZN2v88internal17ExternalReference18address_of_jslimitEPNS0_7IsolateE";
const char kRealJsLimitAddress[] = "_ZN2v88internal17ExternalReference23address_of_real_jslimitEPNS0_7IsolateE";
const char kHsiAddress[] = "_ZN2v88internal17ExternalReference32handle_scope_implementer_addressEPNS0_7IsolateE";
const char kHandleScopeNextAddress[] = "_ZN2v88internal17ExternalReference25handle_scope_next_addressEPNS0_7IsolateE";
}  // namespace sym

constexpr std::size_t kDecodeLimit = 512;  // bytes; every decoded function is far smaller

x86::Analysis Decode(void* function, int arguments) {
  return x86::Analyze(static_cast<const std::uint8_t*>(function), kDecodeLimit, arguments);
}

// The distinct displacements of 8-byte (or unknown-size) loads whose base is
// exactly argument `arg`.
std::vector<std::int64_t> LoadsFrom(const x86::Analysis& a, int arg) {
  std::vector<std::int64_t> out;
  for (const auto& access : a.accesses) {
    if (access.store || access.base.argument != arg || access.base.steps != 0) continue;
    bool seen = false;
    for (auto d : out) seen |= d == access.displacement;
    if (!seen) out.push_back(access.displacement);
  }
  return out;
}

std::string Hex(std::int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<long long>(v));
  return buf;
}

}  // namespace

const V8Layout& V8Layout::Get() {
  static const V8Layout* layout = [] {
    auto* l = new V8Layout();
    l->Resolve();
    return l;
  }();
  return *layout;
}

bool V8Layout::Fail(const std::string& what) {
  if (error_.empty()) error_ = what;
  return false;
}

void V8Layout::Resolve() {
#if !defined(__x86_64__)
  Fail("JavaScript generators need x86_64 (this build is for another architecture)");
  return;
#else
  const std::vector<std::string> names = {
      sym::kHsiArchive, sym::kHsiRestore, sym::kHsiFree, sym::kHsiSize, sym::kIsolateArchive,
      sym::kIsolateInit, sym::kRelocatableArchive, sym::kRelocatableRestore, sym::kRelocatableSize, sym::kDebugArchive,
      sym::kDebugRestore, sym::kDebugThreadInit, sym::kDebugSize, sym::kStackGuardArchive, sym::kStackGuardSetLimit,
      sym::kEagerlyArchive, sym::kStateNext, sym::kStateUnlink, sym::kLockerIsLocked, sym::kHeapStack, sym::kStackGetStart, sym::kIsolateAddGCPrologue, sym::kHeapAddGCPrologue,
      sym::kDebugIsActiveAddress, sym::kJsLimitAddress, sym::kRealJsLimitAddress, sym::kHsiAddress,
      sym::kHandleScopeNextAddress};
  // Looked up too, but absent from older V8s.
  const std::vector<std::string> optional = {sym::kIsOnCentralStack};
  std::vector<std::string> all = names;
  all.insert(all.end(), optional.begin(), optional.end());
  std::string resolve_error;
  auto found = SymbolResolver().Resolve(all, &resolve_error);
  std::string missing;
  for (const auto& name : names) {
    if (!found.count(name)) missing += (missing.empty() ? "" : ", ") + name;
    else if (found[name].from_symtab) symbol_source_ = ".symtab";
  }
  if (!missing.empty()) {
    Fail("V8 internals not found in the node executable (" + missing + ")" +
         (resolve_error.empty() ? "" : ": " + resolve_error));
    return;
  }
  auto fn = [&](const char* name) { return found[name].address; };

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

  // Sizes: each ArchiveSpacePerThread is a static function returning a
  // constant. ThreadLocalTop's and StackGuard's are inline in V8's headers,
  // but their sizes are public layout constants of v8-internal.h (checked
  // below against what Isolate::ArchiveThread copies).
  hsi_size = static_cast<std::size_t>(reinterpret_cast<SizeFunction>(fn(sym::kHsiSize))());
  relocatable_size = static_cast<std::size_t>(reinterpret_cast<SizeFunction>(fn(sym::kRelocatableSize))());
  debug_size = static_cast<std::size_t>(reinterpret_cast<SizeFunction>(fn(sym::kDebugSize))());
  tlt_size = v8::internal::Internals::kThreadLocalTopSize;
  stack_guard_size = v8::internal::Internals::kStackGuardSize - sizeof(void*);  // minus StackGuard::isolate_
  isolate_tlt = v8::internal::Internals::kIsolateThreadLocalTopOffset;
  if (hsi_size < 64 || hsi_size > 1024 || relocatable_size != sizeof(void*) || debug_size < 32 ||
      debug_size > 1024) {
    Fail("unexpected archive sizes (HandleScopeImplementer " + std::to_string(hsi_size) + ", Relocatable " +
         std::to_string(relocatable_size) + ", Debug " + std::to_string(debug_size) + ")");
    return;
  }
  archive_size = hsi_size + tlt_size + relocatable_size + stack_guard_size + debug_size;

  // ThreadState::Next(): `if (next_ == thread_manager_->in_use_anchor_) return
  // nullptr; return next_;` -- two loads from `this` (next_ and
  // thread_manager_) and one from thread_manager_ (in_use_anchor_).
  {
    x86::Analysis a = Decode(fn(sym::kStateNext), 1);
    auto own = LoadsFrom(a, 0);
    for (const auto& access : a.accesses) {
      if (access.base.argument == 0 && access.base.steps == 1 && access.base.step[0].load &&
          access.base.step[0].offset != 0) {
        thread_state_thread_manager = access.base.step[0].offset;
        thread_manager_in_use_anchor = access.displacement;
      }
    }
    if (own.size() != 2 || thread_state_thread_manager < 0) {
      Fail("cannot decode ThreadState::Next (" + a.error + ")");
      return;
    }
    thread_state_next = own[0] == thread_state_thread_manager ? own[1] : own[0];
  }
  // ThreadState::Unlink(): `next_->previous_ = previous_; previous_->next_ =
  // next_;` -- loads next_ and previous_ from `this`.
  {
    auto own = LoadsFrom(Decode(fn(sym::kStateUnlink), 1), 0);
    if (own.size() != 2 || (own[0] != thread_state_next && own[1] != thread_state_next)) {
      Fail("cannot decode ThreadState::Unlink");
      return;
    }
    thread_state_previous = own[0] == thread_state_next ? own[1] : own[0];
  }
  // ThreadManager::EagerlyArchiveThread(): for each piece,
  // `to = isolate_->piece()->Archive(to)`; the first call's second argument
  // is lazily_archived_thread_state_->data().
  {
    x86::Analysis a = Decode(fn(sym::kEagerlyArchive), 1);
    auto call_to = [&](const char* name) -> const x86::Call* {
      for (const auto& c : a.calls) {
        if (c.target == reinterpret_cast<std::uintptr_t>(fn(name))) return &c;
      }
      return nullptr;
    };
    const x86::Call* hsi_call = call_to(sym::kHsiArchive);
    const x86::Call* isolate_call = call_to(sym::kIsolateArchive);
    const x86::Call* debug_call = call_to(sym::kDebugArchive);
    const x86::Call* guard_call = call_to(sym::kStackGuardArchive);
    if (!hsi_call || !isolate_call || !debug_call || !guard_call) {
      Fail("cannot find the archiver calls in ThreadManager::EagerlyArchiveThread");
      return;
    }
    // isolate_ = this->[X]
    const x86::Symbol& iso = isolate_call->rdi;
    if (!(iso.argument == 0 && iso.steps == 1 && iso.step[0].load)) {
      Fail("cannot decode ThreadManager::isolate_ (" + iso.ToString() + ")");
      return;
    }
    thread_manager_isolate = iso.step[0].offset;
    const x86::Symbol& h = hsi_call->rdi;
    if (!(h.argument == 0 && h.steps == 2 && h.step[0].load && h.step[0].offset == thread_manager_isolate &&
          h.step[1].load)) {
      Fail("cannot decode Isolate::handle_scope_implementer_ (" + h.ToString() + ")");
      return;
    }
    isolate_hsi = h.step[1].offset;
    const x86::Symbol& d = debug_call->rdi;
    if (!(d.argument == 0 && d.steps == 2 && d.step[0].load && d.step[0].offset == thread_manager_isolate &&
          d.step[1].load)) {
      Fail("cannot decode Isolate::debug_ (" + d.ToString() + ")");
      return;
    }
    isolate_debug = d.step[1].offset;
    const x86::Symbol& g = guard_call->rdi;
    if (!(g.argument == 0 && g.steps == 2 && g.step[0].load && !g.step[1].load)) {
      Fail("cannot decode Isolate::stack_guard_ (" + g.ToString() + ")");
      return;
    }
    isolate_stack_guard = g.step[1].offset;
    const x86::Symbol& data = hsi_call->rsi;
    if (!(data.argument == 0 && data.steps == 2 && data.step[0].load && data.step[1].load)) {
      Fail("cannot decode ThreadState::data_ (" + data.ToString() + ")");
      return;
    }
    thread_state_data = data.step[1].offset;
  }
  if (isolate_stack_guard != v8::internal::Internals::kIsolateStackGuardOffset) {
    Fail("the stack guard is at isolate+" + Hex(isolate_stack_guard) + ", v8-internal.h says " +
         Hex(v8::internal::Internals::kIsolateStackGuardOffset));
    return;
  }
  // v8::Locker::IsLocked(isolate): `isolate->thread_manager()->...`.
  {
    auto own = LoadsFrom(Decode(fn(sym::kLockerIsLocked), 1), 0);
    if (own.size() != 1) {
      Fail("cannot decode Isolate::thread_manager_ from v8::Locker::IsLocked");
      return;
    }
    isolate_thread_manager = own[0];
  }
  // Relocatable::ArchiveState(isolate, to): copies isolate->relocatable_top().
  {
    auto own = LoadsFrom(Decode(fn(sym::kRelocatableArchive), 2), 0);
    if (own.size() != 1) {
      Fail("cannot decode Isolate::relocatable_top_");
      return;
    }
    isolate_relocatable_top = own[0];
  }
  // Debug::ArchiveDebug(to): a copy of Debug::thread_local_, whose first byte
  // is the lowest offset it reads (checked against the copy in Bind()).
  {
    auto own = LoadsFrom(Decode(fn(sym::kDebugArchive), 2), 0);
    std::int64_t lowest = -1;
    for (auto offset : own) {
      if (lowest < 0 || offset < lowest) lowest = offset;
    }
    if (lowest < 0) {
      Fail("cannot decode Debug::thread_local_");
      return;
    }
    debug_thread_local = lowest;
  }
  // The isolate's Heap is a member of the isolate: the public
  // v8::Isolate::AddGCPrologueCallback tail-calls
  // Heap::AddGCPrologueCallback with `this` = isolate + offset.
  {
    x86::Analysis a = Decode(fn(sym::kIsolateAddGCPrologue), 3);
    for (const auto& c : a.calls) {
      std::int64_t add = 0;
      if (c.target == reinterpret_cast<std::uintptr_t>(fn(sym::kHeapAddGCPrologue)) && c.rdi.Is(0, {}, &add)) {
        isolate_heap = add;
      }
    }
    if (isolate_heap <= 0) {
      Fail("cannot decode Isolate::heap_ from v8::Isolate::AddGCPrologueCallback (" + a.error + ")");
      return;
    }
  }
  ResolveDebugStepping(fn(sym::kDebugRestore));
  // cppgc's conservative stack scan starts at Stack::stack_start_, the first
  // field of the ::heap::base::Stack that Heap::stack() returns. V8 11.3:
  // `return isolate_->stack();` (heap[+a]+b, a the heap's isolate_); 12.4 to
  // 14.6: the main thread's LocalHeap's stack (also heap[+a]+b). Either way
  // one load from the heap and an offset; Bind() follows them.
  {
    x86::Analysis a = Decode(fn(sym::kHeapStack), 1);
    const x86::Symbol& r = a.return_value;
    if (!(r.argument == 0 && r.steps == 2 && r.step[0].load && !r.step[1].load)) {
      Fail("cannot decode Heap::stack() (" + r.ToString() + ")");
      return;
    }
    heap_stack_holder = r.step[0].offset;
    isolate_stack_start = r.step[1].offset;
  }
  // HandleScopeImplementer::RestoreThread(from): copies `from` over itself,
  // then `*isolate_->handle_scope_data() = handle_scope_data_`. The stores
  // through isolate_ (the implementer's first field) give the live data's
  // offset and size. Which implementer bytes they copy is left to the
  // compiler (V8 12.4's gcc reuses a register of the copy, 14.6's clang
  // reads `from`), so it is measured instead: run RestoreThread on a fake
  // implementer and isolate of our own, with each word of `from` holding its
  // own offset, and read back which words arrived.
  {
    x86::Analysis a = Decode(fn(sym::kHsiRestore), 2);
    std::int64_t live_lo = -1, live_hi = -1;
    for (const auto& access : a.accesses) {
      int size = access.size > 0 ? access.size : 8;
      if (access.store && access.base.Is(0, {0})) {
        if (live_lo < 0 || access.displacement < live_lo) live_lo = access.displacement;
        live_hi = std::max(live_hi, access.displacement + size);
      }
    }
    if (live_lo < 0 || live_hi - live_lo < 16 || live_hi - live_lo > 256 || live_hi > 0x10000 || live_lo % 8 != 0) {
      Fail("cannot decode HandleScopeImplementer::RestoreThread (" + a.error + ")");
      return;
    }
    const std::size_t words = hsi_size / 8;
    constexpr std::uint64_t kMark = 0x5eed000000000000;
    std::vector<std::uint64_t> from(words), fake_hsi(words), fake_isolate(static_cast<std::size_t>(live_hi) / 8 + 8);
    for (std::size_t i = 0; i < words; i++) from[i] = kMark | (i * 8);
    from[0] = fake_hsi[0] = reinterpret_cast<std::uint64_t>(fake_isolate.data());  // isolate_
    char* end = hsi_restore(fake_hsi.data(), reinterpret_cast<char*>(from.data()));
    const std::size_t n = static_cast<std::size_t>(live_hi - live_lo) / 8;
    const std::uint64_t* live = &fake_isolate[static_cast<std::size_t>(live_lo) / 8];
    bool consecutive = end == reinterpret_cast<char*>(from.data()) + hsi_size && (live[0] & ~0xffffull) == kMark;
    for (std::size_t i = 1; consecutive && i < n; i++) consecutive = live[i] == live[0] + i * 8;
    if (!consecutive) {
      Fail("HandleScopeImplementer::RestoreThread does not copy one run of the implementer to the isolate");
      return;
    }
    hsi_handle_scope_data = static_cast<std::ptrdiff_t>(live[0] & 0xffff);
    isolate_handle_scope_data = live_lo;
    handle_scope_data_size = n * 8;
  }
  // v8::base::Stack::GetStackStart() caches the thread's stack start in a
  // thread_local of the executable (initial-exec TLS): its first instruction
  // is `mov %fs:disp32,%rax`. V8 12.4+ compares the stack pointer against it
  // (Isolate::IsOnCentralStack, CHECKed by Heap::CollectGarbage from 13.6),
  // and Isolate::Enter and Heap::SetStackStart() read it, so a switch points
  // it at the running stack's start.
  {
    const auto* code = static_cast<const std::uint8_t*>(fn(sym::kStackGetStart));
    static const std::uint8_t kMovFsRax[] = {0x64, 0x48, 0x8b, 0x04, 0x25};
    if (std::memcmp(code, kMovFsRax, sizeof kMovFsRax) != 0) {
      Fail("cannot decode v8::base::Stack::GetStackStart (no thread-local cache)");
      return;
    }
    std::int32_t disp;
    std::memcpy(&disp, code + sizeof kMovFsRax, sizeof disp);
    stack_start_tls = disp;
  }
  // Isolate::IsOnCentralStack(): `start - stack_size_ - margin < sp <= start`
  // with stack_size_ an isolate field from V8 13 (V8 12.4 reads a flag).
  if (void* central = found.count(sym::kIsOnCentralStack) ? found[sym::kIsOnCentralStack].address : nullptr) {
    auto own = LoadsFrom(Decode(central, 1), 0);
    if (own.size() > 1) {
      Fail("cannot decode Isolate::stack_size_ from Isolate::IsOnCentralStack");
      return;
    }
    if (own.size() == 1) isolate_stack_size = own[0];
  }
  InjectFault();
  for (std::size_t size : {hsi_size, debug_size, handle_scope_data_size}) {
    if (size == 0 || size % 8 != 0 || size > 1024) {
      Fail("unexpected size of an archived piece: " + std::to_string(size) + " bytes");
      return;
    }
  }
  std::ptrdiff_t highest = thread_state_data;
  for (auto o : {thread_state_next, thread_state_previous, thread_state_thread_manager}) highest = std::max(highest, o);
  thread_state_size = static_cast<std::size_t>(highest) + sizeof(void*);
#endif
}

// Debug::RestoreDebug(from) (V8 11.3 .. 14, debug.cc):
//   MemCopy(&thread_local_, from, ArchiveSpacePerThread());
//   DebugScope debug_scope(this);  ClearOneShot();
//   if (thread_local_.last_step_action_ != StepNone) {
//     int current_frame_count = CurrentFrameCount();
//     int target_frame_count = thread_local_.target_frame_count_;
//     DebuggableStackFrameIterator frames_it(isolate_);
//     while (current_frame_count > target_frame_count) { ... Advance(); }
//     thread_local_.break_frame_id_ = frames_it.frame()->id();
//     PrepareStep(thread_local_.last_step_action_);
//   }
// The compiler moves the stepping branch out of line, so it is decoded on
// all paths. Within thread_local_ (after the copy, whose stores are 16 or 8
// bytes wide), last_step_action_ is the one field read as a single byte, and
// target_frame_count_ the one four-byte field read but never written with
// four bytes (break_frame_id_ is read and written). Anything else: unknown.
void V8Layout::ResolveDebugStepping(void* restore_debug) {
  constexpr std::size_t kRestoreDebugLimit = 2048;
  x86::Analysis a = x86::Analyze(static_cast<const std::uint8_t*>(restore_debug), kRestoreDebugLimit, 2, true);
  std::vector<std::int64_t> bytes, loads4, stores4;
  auto add = [](std::vector<std::int64_t>& set, std::int64_t v) {
    for (auto x : set) {
      if (x == v) return;
    }
    set.push_back(v);
  };
  const std::int64_t lo = debug_thread_local, hi = debug_thread_local + static_cast<std::int64_t>(debug_size);
  for (const auto& access : a.accesses) {
    if (access.base.argument != 0 || access.base.steps != 0) continue;
    if (access.displacement < lo || access.displacement >= hi) continue;
    if (access.size == 1 && !access.store) add(bytes, access.displacement);
    if (access.size == 4) add(access.store ? stores4 : loads4, access.displacement);
  }
  std::vector<std::int64_t> targets;
  for (auto offset : loads4) {
    bool stored = false;
    for (auto s : stores4) stored |= s == offset;
    if (!stored) targets.push_back(offset);
  }
  if (bytes.size() != 1 || targets.size() != 1 || (targets[0] - lo) % 4 != 0) return;
  debug_last_step_action = bytes[0] - lo;
  debug_target_frame_count = targets[0] - lo;
}

// Tests prove that verification catches wrong offsets by setting
// FRINGE_FAULT_INJECTION to one of the names below: the derived value is
// then off by one word, as it would be on a Node release whose layout moved
// in a way the decoding did not notice.
void V8Layout::InjectFault() {
  const char* fault = std::getenv("FRINGE_FAULT_INJECTION");
  if (fault == nullptr) return;
  const struct {
    const char* name;
    std::ptrdiff_t* offset;
  } faults[] = {
      {"thread_manager_offset", &isolate_thread_manager},
      {"hsi_offset", &isolate_hsi},
      {"debug_thread_local_offset", &debug_thread_local},
      {"stack_start_offset", &isolate_stack_start},
      {"in_use_anchor_offset", &thread_manager_in_use_anchor},
      {"relocatable_offset", &isolate_relocatable_top},
      {"handle_scope_data_offset", &hsi_handle_scope_data},
  };
  for (const auto& f : faults) {
    if (std::strcmp(fault, f.name) == 0) *f.offset += sizeof(void*);
  }
  // Not a failure: generators run, a debugger's steps are not re-armed.
  if (std::strcmp(fault, "debug_stepping_unknown") == 0) debug_last_step_action = debug_target_frame_count = -1;
  if (std::strcmp(fault, "missing_symbol") == 0) Fail("V8 internals not found in the node executable (injected)");
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
    void* thread_pointer;
    asm("mov %%fs:0, %0" : "=r"(thread_pointer));
    h.stack_start_tls = reinterpret_cast<const void**>(static_cast<char*>(thread_pointer) + layout.stack_start_tls);
    if (*h.stack_start_tls != top) {
      return fail("v8::base::Stack::GetStackStart's thread-local cache is not at %fs:" + Hex(layout.stack_start_tls));
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
