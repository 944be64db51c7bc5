// V8's Isolate::formatting_stack_trace_: true while a stack trace is being
// formatted through the embedder's callback (Node's, which calls
// Error.prepareStackTrace). While it is set, V8 formats the traces of
// errors made inside with its default format, so that prepareStackTrace
// cannot recurse. One flag per isolate, set and cleared around the call
// (PrepareStackTraceScope): it assumes the call ends before anything else
// runs on the thread. A body that suspended inside prepareStackTrace (say
// while the `stack` of an Error it made was read) left it set, and every
// other trace in the thread lost its prepareStackTrace until the body was
// resumed (issue 11's audit).
//
// A plain bool, so the switch keeps one per execution context: the leaving
// side's value goes with it, the target's comes back (runtime.h, SwitchTo).
//
// Not part of V8's API: Find() locates it by difference, comparing the
// bytes of the Isolate object outside and inside a prepareStackTrace call,
// several times, and keeping the one byte that is 0 outside and 1 inside
// every time.

#ifndef FRINGE_V8_STACK_TRACE_FLAG_H
#define FRINGE_V8_STACK_TRACE_FLAG_H

#include <cstddef>
#include <string>
#include <vector>

#include <v8.h>

namespace fringe {

class StackTraceFlag {
 public:
  /// Locates the flag of `isolate`; `context` is where fringe loads. Runs
  /// JavaScript (it sets Error.prepareStackTrace for a moment and puts
  /// back what was there). False, with `error`, when no single byte
  /// behaves as the flag.
  bool Find(v8::Isolate* isolate, v8::Local<v8::Context> context, std::string* error);
  bool* address() const { return flag_; }

 private:
  static void Outside(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void Inside(const v8::FunctionCallbackInfo<v8::Value>& info);

  bool* flag_ = nullptr;
  // Only while Find() runs.
  const unsigned char* base_ = nullptr;
  std::size_t size_ = 0;
  std::vector<unsigned char> outside_;
  std::vector<bool> candidate_;
  int rounds_ = 0;
  int expected_rounds_ = 0;  // kRounds, or more when those left several candidates
  int Candidates() const;
};

}  // namespace fringe

#endif  // FRINGE_V8_STACK_TRACE_FLAG_H
