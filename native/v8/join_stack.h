// V8's join stack: how Array.prototype.join (and toString, toLocaleString,
// %TypedArray%.prototype.join/toLocaleString) detects cycles. It is one
// FixedArray per native context (slot ARRAY_JOIN_STACK_INDEX, `undefined`
// until the first join), holding the receivers of the joins in progress, in
// the order they began, then holes. A join that finds its receiver there
// returns '' (a cycle); a join ends by clearing its own entry, and V8 treats
// an entry it cannot find as unreachable code. So the stack assumes that
// joins nest on the thread: a body suspended inside a join left its
// receiver there, and every later join of the same array anywhere returned
// '' (issue 11, case 2).
//
// fringe refuses that suspend (ERR_SUSPEND_IN_JOIN): a coroutine notes the
// depth of the stack when it is resumed, and may suspend only at that depth.
// Any entry above it is a join the coroutine itself began (a join begun by a
// generator it resumed ends, or that generator's own suspend was refused,
// before control comes back). Switching the stack per coroutine instead
// would mean storing heap pointers into the native context behind V8's
// write barrier.
//
// The slot is not part of V8's API: Find() locates it once, by running a
// join whose element's toString() looks for the array in the native context.

#ifndef FRINGE_V8_JOIN_STACK_H
#define FRINGE_V8_JOIN_STACK_H

#include <cstdint>
#include <string>

#include <v8.h>

namespace fringe {

class JoinStack {
 public:
  /// Locates the slot in `context` (the context fringe's functions live in).
  /// False, with `error`, if the join stack cannot be found.
  bool Find(v8::Isolate* isolate, v8::Local<v8::Context> context, std::string* error);

  /// How many joins are in progress in `context` (a native context whose
  /// layout is the one Find() saw: every context of the isolate).
  __attribute__((always_inline)) std::uint32_t Depth(v8::Local<v8::Context> context) const {
    return DepthOf(Raw(context));
  }

  /// Depth() of the context a Global holds, without a handle: a Global is
  /// one pointer to its slot, which does not move (the GC updates what is
  /// in it). Suspend and resume check the context fringe was loaded in.
  __attribute__((always_inline)) std::uint32_t Depth(const v8::Global<v8::Context>& context) const {
    static_assert(sizeof(v8::Global<v8::Context>) == sizeof(std::uintptr_t*), "a Global is one slot pointer");
    const std::uintptr_t* slot = *reinterpret_cast<const std::uintptr_t* const*>(&context);
    return DepthOf(*slot);
  }

  bool found() const { return slot_offset_ != 0; }

 private:
  __attribute__((always_inline)) std::uint32_t DepthOf(std::uintptr_t native) const {
    std::uintptr_t stack = Field(native, slot_offset_);
    if (stack == undefined_) return 0;
    if (Field(stack, kElements) == hole_) return 0;  // the usual case: no join anywhere
    return SlowDepth(stack);
  }
  static constexpr std::uintptr_t kHeapObjectTag = 1;
  // FixedArray without pointer compression (Node's x64 builds): map, length
  // (a Smi: value << 32), elements.
  static constexpr std::ptrdiff_t kLength = 8;
  static constexpr std::ptrdiff_t kElements = 16;

  template <typename T>
  static std::uintptr_t Raw(v8::Local<T> handle) {
    // A Local is the address of a handle slot holding the tagged pointer.
    return *reinterpret_cast<const std::uintptr_t*>(*handle);
  }
  static std::uintptr_t Field(std::uintptr_t object, std::ptrdiff_t offset) {
    return *reinterpret_cast<const std::uintptr_t*>(object - kHeapObjectTag + offset);
  }
  std::uint32_t SlowDepth(std::uintptr_t stack) const;
  static void Probe(const v8::FunctionCallbackInfo<v8::Value>& info);

  std::ptrdiff_t slot_offset_ = 0;  // from the tagged native-context pointer
  std::uintptr_t hole_ = 0;         // the_hole (read-only space: never moves)
  std::uintptr_t undefined_ = 0;    // likewise
};

}  // namespace fringe

#endif  // FRINGE_V8_JOIN_STACK_H
