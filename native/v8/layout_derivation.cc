// See layout_derivation.h. Each step quotes the V8 code it decodes.

#include "v8/layout_derivation.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fringe {

namespace v8_symbols {
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
const char kIsOnCentralStack[] = "_ZN2v88internal7Isolate16IsOnCentralStackEv";
const char kIsolateAddGCPrologue[] =
    "_ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEES2_";
const char kHeapAddGCPrologue[] =
    "_ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_";
const char kDebugIsActiveAddress[] = "_ZN2v88internal17ExternalReference23debug_is_active_addressEPNS0_7IsolateE";
const char kJsLimitAddress[] = "_ZN2v88internal17ExternalReference18address_of_jslimitEPNS0_7IsolateE";
const char kRealJsLimitAddress[] = "_ZN2v88internal17ExternalReference23address_of_real_jslimitEPNS0_7IsolateE";
const char kHsiAddress[] = "_ZN2v88internal17ExternalReference32handle_scope_implementer_addressEPNS0_7IsolateE";
const char kHandleScopeNextAddress[] = "_ZN2v88internal17ExternalReference25handle_scope_next_addressEPNS0_7IsolateE";
}  // namespace v8_symbols

namespace {

namespace sym = v8_symbols;

constexpr std::size_t kDecodeLimit = 512;         // bytes; every decoded function is far smaller
constexpr std::size_t kRestoreDebugLimit = 2048;  // Debug::RestoreDebug, with its out-of-line paths

// The distinct displacements of 8-byte (or unknown-size) loads whose base is
// exactly argument `arg`.
std::vector<std::int64_t> LoadsFrom(const code::Analysis& a, int arg) {
  std::vector<std::int64_t> out;
  for (const auto& access : a.accesses) {
    if (access.store || access.base.argument != arg || access.base.steps != 0) continue;
    bool seen = false;
    for (auto d : out) seen |= d == access.displacement;
    if (!seen) out.push_back(access.displacement);
  }
  return out;
}

void AddOnce(std::vector<std::int64_t>& set, std::int64_t v) {
  for (auto x : set) {
    if (x == v) return;
  }
  set.push_back(v);
}

}  // namespace

std::string Hex(std::int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<long long>(v));
  return buf;
}

bool LayoutDerivation::Fail(const std::string& what) {
  if (error_.empty()) error_ = what;
  return false;
}

const CodeSource::Function* LayoutDerivation::function(const char* name) const {
  auto it = found_.find(name);
  return it == found_.end() ? nullptr : &it->second;
}

code::Analysis LayoutDerivation::Analyze(const char* name, int arguments, std::size_t max_bytes,
                                         bool all_paths) const {
  return isa_->Analyze(function(name)->code, max_bytes, arguments, all_paths);
}

bool LayoutDerivation::Run(DerivedLayout* out) {
  *out = DerivedLayout();
  if (!FindFunctions() || !ArchiveSizes(out) || !ThreadStateNext(out) || !ThreadStateUnlink(out) ||
      !EagerlyArchiveThread(out) || !IsolateThreadManager(out) || !IsolateRelocatableTop(out) ||
      !DebugThreadLocal(out) || !IsolateHeap(out)) {
    return false;
  }
  DebugStepping(out);
  if (!HeapStack(out) || !IsolateHandleScopeData(out) || !StackStartTls(out) || !IsolateStackSize(out)) {
    return false;
  }
  InjectFault(out);
  return error_.empty() && CheckSizes(out);
}

bool LayoutDerivation::FindFunctions() {
  isa_ = source_->instruction_set();
  if (isa_ == nullptr) {
    return Fail("JavaScript generators need x86_64 or arm64 (this build is for another architecture)");
  }
  const std::vector<std::string> names = {
      sym::kHsiArchive, sym::kHsiRestore, sym::kHsiFree, sym::kHsiSize, sym::kIsolateArchive,
      sym::kIsolateInit, sym::kRelocatableArchive, sym::kRelocatableRestore, sym::kRelocatableSize,
      sym::kDebugArchive, sym::kDebugRestore, sym::kDebugThreadInit, sym::kDebugSize, sym::kStackGuardArchive,
      sym::kStackGuardSetLimit, sym::kEagerlyArchive, sym::kStateNext, sym::kStateUnlink, sym::kLockerIsLocked,
      sym::kHeapStack, sym::kStackGetStart, sym::kIsolateAddGCPrologue, sym::kHeapAddGCPrologue,
      sym::kDebugIsActiveAddress, sym::kJsLimitAddress, sym::kRealJsLimitAddress, sym::kHsiAddress,
      sym::kHandleScopeNextAddress};
  // Looked up too, but absent from older V8s.
  const std::vector<std::string> optional = {sym::kIsOnCentralStack};
  std::vector<std::string> all = names;
  all.insert(all.end(), optional.begin(), optional.end());
  std::string resolve_error;
  found_ = source_->Find(all, &resolve_error);
  std::string missing;
  for (const auto& name : names) {
    auto it = found_.find(name);
    if (it == found_.end()) missing += (missing.empty() ? "" : ", ") + name;
    else if (it->second.from_symtab) symbol_source_ = ".symtab";
  }
  if (!missing.empty()) {
    return Fail("V8 internals not found in the node executable (" + missing + ")" +
                (resolve_error.empty() ? "" : ": " + resolve_error));
  }
  return true;
}

// Each ArchiveSpacePerThread is a static function returning a constant.
// ThreadLocalTop's and StackGuard's are inline in V8's headers; their sizes
// are public layout constants of v8-internal.h, which only the addon has
// (V8Layout).
bool LayoutDerivation::ArchiveSizes(DerivedLayout* out) {
  std::int64_t hsi = 0, relocatable = 0, debug = 0;
  std::string why;
  if (!source_->ConstantResult(found_[sym::kHsiSize], &hsi, &why) ||
      !source_->ConstantResult(found_[sym::kRelocatableSize], &relocatable, &why) ||
      !source_->ConstantResult(found_[sym::kDebugSize], &debug, &why)) {
    return Fail("cannot read an ArchiveSpacePerThread (" + why + ")");
  }
  out->hsi_size = static_cast<std::size_t>(hsi);
  out->relocatable_size = static_cast<std::size_t>(relocatable);
  out->debug_size = static_cast<std::size_t>(debug);
  if (hsi < 64 || hsi > 1024 || out->relocatable_size != sizeof(void*) || debug < 32 || debug > 1024) {
    return Fail("unexpected archive sizes (HandleScopeImplementer " + std::to_string(hsi) + ", Relocatable " +
                std::to_string(relocatable) + ", Debug " + std::to_string(debug) + ")");
  }
  return true;
}

// ThreadState::Next(): `if (next_ == thread_manager_->in_use_anchor_) return
// nullptr; return next_;` -- two loads from `this` (next_ and
// thread_manager_) and one from thread_manager_ (in_use_anchor_).
bool LayoutDerivation::ThreadStateNext(DerivedLayout* out) {
  code::Analysis a = Analyze(sym::kStateNext, 1, kDecodeLimit);
  auto own = LoadsFrom(a, 0);
  for (const auto& access : a.accesses) {
    if (access.base.argument == 0 && access.base.steps == 1 && access.base.step[0].load &&
        access.base.step[0].offset != 0) {
      out->thread_state_thread_manager = access.base.step[0].offset;
      out->thread_manager_in_use_anchor = access.displacement;
    }
  }
  if (own.size() != 2 || out->thread_state_thread_manager < 0) {
    return Fail("cannot decode ThreadState::Next (" + a.error + ")");
  }
  out->thread_state_next = own[0] == out->thread_state_thread_manager ? own[1] : own[0];
  return true;
}

// ThreadState::Unlink(): `next_->previous_ = previous_; previous_->next_ =
// next_;` -- loads next_ and previous_ from `this`.
bool LayoutDerivation::ThreadStateUnlink(DerivedLayout* out) {
  auto own = LoadsFrom(Analyze(sym::kStateUnlink, 1, kDecodeLimit), 0);
  if (own.size() != 2 || (own[0] != out->thread_state_next && own[1] != out->thread_state_next)) {
    return Fail("cannot decode ThreadState::Unlink");
  }
  out->thread_state_previous = own[0] == out->thread_state_next ? own[1] : own[0];
  return true;
}

// ThreadManager::EagerlyArchiveThread(): for each piece,
// `to = isolate_->piece()->Archive(to)`; the first call's second argument
// is lazily_archived_thread_state_->data().
bool LayoutDerivation::EagerlyArchiveThread(DerivedLayout* out) {
  code::Analysis a = Analyze(sym::kEagerlyArchive, 1, kDecodeLimit);
  auto call_to = [&](const char* name) -> const code::Call* {
    for (const auto& c : a.calls) {
      if (c.target == found_[name].code.address) return &c;
    }
    return nullptr;
  };
  const code::Call* hsi_call = call_to(sym::kHsiArchive);
  const code::Call* isolate_call = call_to(sym::kIsolateArchive);
  const code::Call* debug_call = call_to(sym::kDebugArchive);
  const code::Call* guard_call = call_to(sym::kStackGuardArchive);
  if (!hsi_call || !isolate_call || !debug_call || !guard_call) {
    return Fail("cannot find the archiver calls in ThreadManager::EagerlyArchiveThread");
  }
  // isolate_ = this->[X]
  const code::Value& iso = isolate_call->arg0;
  if (!(iso.argument == 0 && iso.steps == 1 && iso.step[0].load)) {
    return Fail("cannot decode ThreadManager::isolate_ (" + iso.ToString() + ")");
  }
  out->thread_manager_isolate = iso.step[0].offset;
  // this->isolate_->X: a member of the isolate, loaded (a pointer) or added (embedded).
  auto isolate_member = [&](const code::Value& v, bool load) {
    return v.argument == 0 && v.steps == 2 && v.step[0].load && v.step[0].offset == out->thread_manager_isolate &&
           v.step[1].load == load;
  };
  if (!isolate_member(hsi_call->arg0, true)) {
    return Fail("cannot decode Isolate::handle_scope_implementer_ (" + hsi_call->arg0.ToString() + ")");
  }
  out->isolate_hsi = hsi_call->arg0.step[1].offset;
  if (!isolate_member(debug_call->arg0, true)) {
    return Fail("cannot decode Isolate::debug_ (" + debug_call->arg0.ToString() + ")");
  }
  out->isolate_debug = debug_call->arg0.step[1].offset;
  const code::Value& g = guard_call->arg0;
  if (!(g.argument == 0 && g.steps == 2 && g.step[0].load && !g.step[1].load)) {
    return Fail("cannot decode Isolate::stack_guard_ (" + g.ToString() + ")");
  }
  out->isolate_stack_guard = g.step[1].offset;
  const code::Value& data = hsi_call->arg1;
  if (!(data.argument == 0 && data.steps == 2 && data.step[0].load && data.step[1].load)) {
    return Fail("cannot decode ThreadState::data_ (" + data.ToString() + ")");
  }
  out->thread_state_data = data.step[1].offset;
  return true;
}

// v8::Locker::IsLocked(isolate): `isolate->thread_manager()->...`.
bool LayoutDerivation::IsolateThreadManager(DerivedLayout* out) {
  auto own = LoadsFrom(Analyze(sym::kLockerIsLocked, 1, kDecodeLimit), 0);
  if (own.size() != 1) return Fail("cannot decode Isolate::thread_manager_ from v8::Locker::IsLocked");
  out->isolate_thread_manager = own[0];
  return true;
}

// Relocatable::ArchiveState(isolate, to): copies isolate->relocatable_top().
bool LayoutDerivation::IsolateRelocatableTop(DerivedLayout* out) {
  auto own = LoadsFrom(Analyze(sym::kRelocatableArchive, 2, kDecodeLimit), 0);
  if (own.size() != 1) return Fail("cannot decode Isolate::relocatable_top_");
  out->isolate_relocatable_top = own[0];
  return true;
}

// Debug::ArchiveDebug(to): a copy of Debug::thread_local_, whose first byte
// is the lowest offset it reads (checked against the copy in Bind()).
bool LayoutDerivation::DebugThreadLocal(DerivedLayout* out) {
  auto own = LoadsFrom(Analyze(sym::kDebugArchive, 2, kDecodeLimit), 0);
  std::int64_t lowest = -1;
  for (auto offset : own) {
    if (lowest < 0 || offset < lowest) lowest = offset;
  }
  if (lowest < 0) return Fail("cannot decode Debug::thread_local_");
  out->debug_thread_local = lowest;
  return true;
}

// The isolate's Heap is a member of the isolate: the public
// v8::Isolate::AddGCPrologueCallback tail-calls
// Heap::AddGCPrologueCallback with `this` = isolate + offset.
bool LayoutDerivation::IsolateHeap(DerivedLayout* out) {
  code::Analysis a = Analyze(sym::kIsolateAddGCPrologue, 3, kDecodeLimit);
  for (const auto& c : a.calls) {
    std::int64_t add = 0;
    if (c.target == found_[sym::kHeapAddGCPrologue].code.address && c.arg0.Is(0, {}, &add)) {
      out->isolate_heap = add;
    }
  }
  if (out->isolate_heap <= 0) {
    return Fail("cannot decode Isolate::heap_ from v8::Isolate::AddGCPrologueCallback (" + a.error + ")");
  }
  return true;
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
void LayoutDerivation::DebugStepping(DerivedLayout* out) {
  code::Analysis a = Analyze(sym::kDebugRestore, 2, kRestoreDebugLimit, true);
  std::vector<std::int64_t> bytes, loads4, stores4;
  const std::int64_t lo = out->debug_thread_local, hi = lo + static_cast<std::int64_t>(out->debug_size);
  for (const auto& access : a.accesses) {
    if (access.base.argument != 0 || access.base.steps != 0) continue;
    if (access.displacement < lo || access.displacement >= hi) continue;
    if (access.size == 1 && !access.store) AddOnce(bytes, access.displacement);
    if (access.size == 4) AddOnce(access.store ? stores4 : loads4, access.displacement);
  }
  std::vector<std::int64_t> targets;
  for (auto offset : loads4) {
    bool stored = false;
    for (auto s : stores4) stored |= s == offset;
    if (!stored) targets.push_back(offset);
  }
  if (bytes.size() != 1 || targets.size() != 1 || (targets[0] - lo) % 4 != 0) return;
  out->debug_last_step_action = bytes[0] - lo;
  out->debug_target_frame_count = targets[0] - lo;
}

// cppgc's conservative stack scan starts at Stack::stack_start_, the first
// field of the ::heap::base::Stack that Heap::stack() returns. V8 11.3:
// `return isolate_->stack();` (heap[+a]+b, a the heap's isolate_); 12.4 to
// 14.6: the main thread's LocalHeap's stack (also heap[+a]+b). Either way
// one load from the heap and an offset; Bind() follows them.
bool LayoutDerivation::HeapStack(DerivedLayout* out) {
  code::Analysis a = Analyze(sym::kHeapStack, 1, kDecodeLimit);
  const code::Value& r = a.return_value;
  if (!(r.argument == 0 && r.steps == 2 && r.step[0].load && !r.step[1].load)) {
    return Fail("cannot decode Heap::stack() (" + r.ToString() + ")");
  }
  out->heap_stack_holder = r.step[0].offset;
  out->isolate_stack_start = r.step[1].offset;
  return true;
}

// HandleScopeImplementer::RestoreThread(from): copies `from` over itself,
// then `*isolate_->handle_scope_data() = handle_scope_data_`. The stores
// through isolate_ (the implementer's first field) give the live data's
// offset and size. After the copy, isolate_ is also the first word of
// `from`, and compilers read either (gcc for arm64 reads `from`'s in Node
// 24 and 26). Which implementer bytes they copy is left to the compiler,
// so V8Layout measures it by running the function (live only).
bool LayoutDerivation::IsolateHandleScopeData(DerivedLayout* out) {
  code::Analysis a = Analyze(sym::kHsiRestore, 2, kDecodeLimit);
  std::int64_t live_lo = -1, live_hi = -1;
  for (const auto& access : a.accesses) {
    int size = access.size > 0 ? access.size : 8;
    if (access.store && (access.base.Is(0, {0}) || access.base.Is(1, {0}))) {
      if (live_lo < 0 || access.displacement < live_lo) live_lo = access.displacement;
      live_hi = std::max(live_hi, access.displacement + size);
    }
  }
  if (live_lo < 0 || live_hi - live_lo < 16 || live_hi - live_lo > 256 || live_hi > 0x10000 || live_lo % 8 != 0) {
    return Fail("cannot decode HandleScopeImplementer::RestoreThread (" + a.error + ")");
  }
  out->isolate_handle_scope_data = live_lo;
  out->handle_scope_data_size = static_cast<std::size_t>(live_hi - live_lo) / 8 * 8;
  return true;
}

// v8::base::Stack::GetStackStart() caches the thread's stack start in a
// thread_local of the executable (initial-exec TLS): its first instruction
// loads it. V8 12.4+ compares the stack pointer against it
// (Isolate::IsOnCentralStack, CHECKed by Heap::CollectGarbage from 13.6),
// and Isolate::Enter and Heap::SetStackStart() read it, so a switch points
// it at the running stack's start.
bool LayoutDerivation::StackStartTls(DerivedLayout* out) {
  if (!isa_->InitialExecTlsLoad(found_[sym::kStackGetStart].code, &out->stack_start_tls)) {
    return Fail("cannot decode v8::base::Stack::GetStackStart (no thread-local cache)");
  }
  return true;
}

// Isolate::IsOnCentralStack(): `start - stack_size_ - margin < sp <= start`
// with stack_size_ an isolate field from V8 13 (V8 12.4 reads a flag).
bool LayoutDerivation::IsolateStackSize(DerivedLayout* out) {
  if (function(sym::kIsOnCentralStack) == nullptr) return true;
  auto own = LoadsFrom(Analyze(sym::kIsOnCentralStack, 1, kDecodeLimit), 0);
  if (own.size() > 1) return Fail("cannot decode Isolate::stack_size_ from Isolate::IsOnCentralStack");
  if (own.size() == 1) out->isolate_stack_size = own[0];
  return true;
}

// Tests prove that verification catches wrong offsets by setting
// FRINGE_FAULT_INJECTION to one of the names below: the derived value is
// then off by one word, as it would be on a Node release whose layout moved
// in a way the decoding did not notice. (handle_scope_data_offset is
// measured live: V8Layout injects it.)
void LayoutDerivation::InjectFault(DerivedLayout* out) {
  const char* fault = std::getenv("FRINGE_FAULT_INJECTION");
  if (fault == nullptr) return;
  const struct {
    const char* name;
    std::ptrdiff_t* offset;
  } faults[] = {
      {"thread_manager_offset", &out->isolate_thread_manager},
      {"hsi_offset", &out->isolate_hsi},
      {"debug_thread_local_offset", &out->debug_thread_local},
      {"stack_start_offset", &out->isolate_stack_start},
      {"in_use_anchor_offset", &out->thread_manager_in_use_anchor},
      {"relocatable_offset", &out->isolate_relocatable_top},
  };
  for (const auto& f : faults) {
    if (std::strcmp(fault, f.name) == 0) *f.offset += sizeof(void*);
  }
  // Not a failure: generators run, a debugger's steps are not re-armed.
  if (std::strcmp(fault, "debug_stepping_unknown") == 0) {
    out->debug_last_step_action = out->debug_target_frame_count = -1;
  }
  if (std::strcmp(fault, "missing_symbol") == 0) Fail("V8 internals not found in the node executable (injected)");
}

bool LayoutDerivation::CheckSizes(DerivedLayout* out) {
  for (std::size_t size : {out->hsi_size, out->debug_size, out->handle_scope_data_size}) {
    if (size == 0 || size % 8 != 0 || size > 1024) {
      return Fail("unexpected size of an archived piece: " + std::to_string(size) + " bytes");
    }
  }
  std::ptrdiff_t highest = out->thread_state_data;
  for (auto o : {out->thread_state_next, out->thread_state_previous, out->thread_state_thread_manager}) {
    highest = std::max(highest, o);
  }
  out->thread_state_size = static_cast<std::size_t>(highest) + sizeof(void*);
  return true;
}

std::string FormatLayout(const DerivedLayout& l) {
  const struct {
    const char* name;
    long long value;
  } fields[] = {
      {"hsi_size", static_cast<long long>(l.hsi_size)},
      {"relocatable_size", static_cast<long long>(l.relocatable_size)},
      {"debug_size", static_cast<long long>(l.debug_size)},
      {"isolate_thread_manager", l.isolate_thread_manager},
      {"isolate_hsi", l.isolate_hsi},
      {"isolate_debug", l.isolate_debug},
      {"isolate_stack_guard", l.isolate_stack_guard},
      {"isolate_relocatable_top", l.isolate_relocatable_top},
      {"isolate_heap", l.isolate_heap},
      {"heap_stack_holder", l.heap_stack_holder},
      {"isolate_stack_start", l.isolate_stack_start},
      {"isolate_handle_scope_data", l.isolate_handle_scope_data},
      {"handle_scope_data_size", static_cast<long long>(l.handle_scope_data_size)},
      {"thread_manager_isolate", l.thread_manager_isolate},
      {"thread_manager_in_use_anchor", l.thread_manager_in_use_anchor},
      {"thread_state_data", l.thread_state_data},
      {"thread_state_next", l.thread_state_next},
      {"thread_state_previous", l.thread_state_previous},
      {"thread_state_thread_manager", l.thread_state_thread_manager},
      {"thread_state_size", static_cast<long long>(l.thread_state_size)},
      {"debug_thread_local", l.debug_thread_local},
      {"stack_start_tls", static_cast<long long>(l.stack_start_tls)},
      {"isolate_stack_size", l.isolate_stack_size},
      {"debug_last_step_action", l.debug_last_step_action},
      {"debug_target_frame_count", l.debug_target_frame_count},
  };
  std::string out;
  for (const auto& f : fields) out += std::string(f.name) + " " + std::to_string(f.value) + "\n";
  return out;
}

}  // namespace fringe
