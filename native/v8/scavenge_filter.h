// Keeps scavenges from visiting suspended generators they cannot learn
// anything from.
//
// Every GC visits every archived V8 thread: its handles and, frame by frame,
// its stack. For the young generation's collector (the scavenger) that is
// wasted on a context that has stayed archived through two scavenges: an
// archived context acquires no new references (nothing runs on it), and the
// semi-space scavenger promotes what survives twice (after any GC, the
// survivors sit below the age mark and the next scavenge promotes them). So
// after two scavenges everything it points to is old, and a scavenge, which
// only moves young objects, has nothing to update in it.
//
// Such "settled" states are kept together at the tail of the ThreadManager's
// in-use list (new archives go to its head); a scavenge's prologue cuts the
// settled run off the list and its epilogue splices it back, then moves the
// states that have now seen two scavenges to the run. Both are O(1) plus the
// states archived since the last scavenges: a scavenge no longer depends on
// how many generators are suspended.
//
// Only kGCTypeScavenge is filtered. Full GCs, the minor mark-compactor
// (--minor-mc, which does not promote the same way), the deoptimizer and the
// debugger always see every state: the cut exists only inside a scavenge,
// where none of them walks archived threads (V8 defers the deopts that
// pretenuring decides during a scavenge to an interrupt).

#ifndef FRINGE_V8_SCAVENGE_FILTER_H
#define FRINGE_V8_SCAVENGE_FILTER_H

#include <v8.h>

#include <cstddef>
#include <cstdint>

#include "v8/isolate_hooks.h"

namespace fringe {

class ScavengeFilter {
 public:
  ScavengeFilter(v8::Isolate* isolate, const V8Layout& layout, const IsolateHooks& hooks);
  ~ScavengeFilter();
  ScavengeFilter(const ScavengeFilter&) = delete;
  ScavengeFilter& operator=(const ScavengeFilter&) = delete;

  /// What the filter keeps for each of fringe's archived states. A
  /// V8ThreadState owns one, resets it when it is linked, and leaves its
  /// address after magic() in its ThreadState stand-in, so that the filter
  /// finds it from the list alone (and needs nothing else of the state).
  struct Age {
    int scavenges = 0;     // scavenges seen since the state was linked
    bool settled = false;  // in the settled run at the list's tail
  };

  /// A state leaves the in-use list; keeps the settled run's start right.
  void OnUnlink(char* header, char* next, bool settled) {
    if (header == settled_first_) settled_first_ = next == hooks_.in_use_anchor ? nullptr : next;
    if (settled) settled_count_--;
  }

  /// Scavenges that left settled states out, and how many they left out.
  std::uint64_t filtered_scavenges() const { return filtered_scavenges_; }
  std::uint64_t skipped_states() const { return skipped_states_; }
  std::size_t settled() const { return settled_count_; }

  /// The mark a V8ThreadState leaves after the ThreadState fields (then the
  /// address of its Age), so that the filter tells fringe's states from
  /// V8's own (threads using v8::Locker) in the same list.
  static std::uintptr_t magic() { return magic_; }

 private:
  static void Prologue(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data);
  static void Epilogue(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data);
  char*& Next(char* state) const;
  char*& Previous(char* state) const;
  Age* Ours(char* state) const;

  v8::Isolate* isolate_;
  const V8Layout& layout_;
  const IsolateHooks& hooks_;
  char* settled_first_ = nullptr;  // first of the settled run at the list's tail
  std::size_t settled_count_ = 0;
  char* cut_first_ = nullptr;      // the run, while a scavenge runs without it
  char* cut_last_ = nullptr;
  std::uint64_t filtered_scavenges_ = 0;
  std::uint64_t skipped_states_ = 0;
  static const std::uintptr_t magic_;
};

}  // namespace fringe

#endif  // FRINGE_V8_SCAVENGE_FILTER_H
