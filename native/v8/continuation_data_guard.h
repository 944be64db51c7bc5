// Keeps scavenges from copying the isolate's continuation-preserved embedder
// data twice.
//
// V8 12 to 14 keep that value (on Node 24+, the current AsyncContextFrame:
// every AsyncLocalStorage store) in one isolate-wide slot, and visit the slot
// as a root of *each* thread they iterate (Isolate::Iterate(v, thread)): the
// running one, then every archived one (ThreadManager::Iterate). Every
// suspended generator is an archived thread, so a scavenge visits the slot
// once per suspended generator plus one. The first visit evacuates a young
// value and updates the slot to the copy; the next visit finds the copy in
// the young generation and evacuates it again, leaving the first copy a
// forwarding stub that slots updated in between still point to. The next GC
// aborts in Scavenger::Process ("Stacktrace: ptr0=<object> ptr1=<map>
// ptr2=<visitor id>"): a map word that is a forwarding address. Full and
// minor mark-sweep GCs are not hurt by a second visit (marking is idempotent,
// and pointer updating leaves a slot that already points to the new copy).
//
// So around each scavenge the value waits in a global handle, a root visited
// once, and the slot holds undefined. Nothing reads the slot during a GC.
// Node 20's V8 11 keeps the value in the native context instead: nothing to
// do there.

#ifndef FRINGE_V8_CONTINUATION_DATA_GUARD_H
#define FRINGE_V8_CONTINUATION_DATA_GUARD_H

#include <v8.h>

namespace fringe {

class ContinuationDataGuard {
 public:
  explicit ContinuationDataGuard(v8::Isolate* isolate);
  ~ContinuationDataGuard();
  ContinuationDataGuard(const ContinuationDataGuard&) = delete;
  ContinuationDataGuard& operator=(const ContinuationDataGuard&) = delete;

 private:
  static void Prologue(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data);
  static void Epilogue(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data);

  v8::Isolate* isolate_;
  v8::Global<v8::Data> parked_;  // the slot's value while a scavenge runs
};

}  // namespace fringe

#endif  // FRINGE_V8_CONTINUATION_DATA_GUARD_H
