// V8Layout (v8_layout.h) applied to one isolate: the addresses a switch
// reads and writes, each verified at load against something independent of
// the derivation -- a back-pointer to the isolate, the bytes an archiver
// copies, the value a public accessor returns, a probe that V8's own
// function moves, the current stack. This is what only a live process can
// check (the offline check, native/tools/v8_layout_offline.cc, stops at the
// derivation). Any mismatch makes JavaScript generators unsupported, with a
// reason that names what failed.

#ifndef FRINGE_V8_ISOLATE_HOOKS_H
#define FRINGE_V8_ISOLATE_HOOKS_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "v8/v8_layout.h"

namespace v8 {
class Isolate;
}

namespace fringe {

/// V8Layout applied to one isolate: the addresses a switch reads and writes.
struct IsolateHooks {
  void* isolate = nullptr;
  void* thread_manager = nullptr;
  char* in_use_anchor = nullptr;  // a ThreadState
  void** hsi_field = nullptr;  // &isolate->handle_scope_implementer_
  void* hsi = nullptr;         // V8's own HandleScopeImplementer (the thread's)
  char* handle_scope_data = nullptr;  // the isolate's live HandleScopeData
  void* debug = nullptr;
  char* debug_thread_local = nullptr;
  char* tlt = nullptr;
  void** relocatable_top = nullptr;
  std::uintptr_t* real_jslimit = nullptr;
  std::uintptr_t* real_climit = nullptr;  // a spare word where V8 has no C limit (13+)
  std::uintptr_t* jslimit = nullptr;  // also the interrupt flag: see SetStackLimit
  std::uintptr_t* climit = nullptr;  // a spare word where V8 has no C limit (13+)
  const bool* debug_is_active = nullptr;
  // Debug::thread_local_.current_debug_scope_, its first field in every V8
  // fringe supports (and since V8 5): the innermost DebugScope on this
  // thread's stack, null outside any debugger event (a break, an exception
  // or script-compiled event, an evaluation on a paused frame).
  void* const* debug_scope = nullptr;
  // In Debug::thread_local_ (see V8Layout); null when unknown or unverified.
  const std::int8_t* debug_last_step_action = nullptr;
  std::int32_t* debug_target_frame_count = nullptr;
  const void** stack_start = nullptr;
  const void* thread_stack_start = nullptr;  // the OS thread's own value
  const void** stack_start_tls = nullptr;  // GetStackStart's cache, this thread's
  std::size_t* stack_size = nullptr;  // Isolate::stack_size_, or a spare word
  // HandleScopeImplementer::spare_, the block HandleScope::Extend takes
  // before it allocates one, and the bytes of one of V8's handle blocks
  // (kHandleBlockSize addresses): measured with a handle scope on a scratch
  // implementer (MeasureHandleBlocks). -1 and 0 where the measurement found
  // nothing unambiguous: then V8 allocates every fiber's handle blocks
  // (V8Switch::InitStack). Not a reason to refuse generators.
  std::ptrdiff_t hsi_spare = -1;
  std::size_t handle_block_bytes = 0;

  /// Computes and verifies the addresses for `isolate`; must run on the
  /// isolate's thread, on its own stack, outside any coroutine. False, with
  /// the reason in `error`, at the first verification that fails.
  static bool Bind(v8::Isolate* isolate, const V8Layout& layout, IsolateHooks* out, std::string* error);
};

}  // namespace fringe

#endif  // FRINGE_V8_ISOLATE_HOOKS_H
