// See stack_trace_flag.h.

#include "v8/stack_trace_flag.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace fringe {

namespace {
// How much of the Isolate object is compared: it is tens of KiB on every
// V8 fringe supports; the flag sits among its scalar fields.
constexpr std::size_t kScanBytes = 256 * 1024;
constexpr int kRounds = 8;
// More rounds when those leave several candidates and no earlier probe of
// the process settles it: once in a CI run on Node 24's main thread a byte
// flipped with the flag in all 8, and once on Node 26 (a debugger attached,
// --stress-scavenge=10, the machine loaded; not reproduced in 30 runs
// alone) one did in all 32, which no longer ended the probe; each round is
// another chance for it to differ (a round costs two compares of 256 KiB,
// so only when needed). Up to kMaxMoreProbes times kMoreRounds.
constexpr int kMoreRounds = 24;
constexpr int kMaxMoreProbes = 8;

// The flag's offset in the Isolate, once a probe found it alone: the same in
// every isolate of the process. A worker's probe can see a second byte that
// flips with it past the end of its Isolate object (memory that belongs to
// the worker's Node environment: seen on Node 24 and 26), and then takes
// the offset the first isolate's probe found, if that byte is a candidate.
std::atomic<std::ptrdiff_t> known_offset{-1};

// The readable bytes from `start` on, up to `limit`, as /proc/self/maps says
// (contiguous mappings): the scan must not run off the Isolate's mapping.
std::size_t ReadableFrom(std::uintptr_t start, std::size_t limit) {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return 0;
  std::uintptr_t end = start;
  char line[512];
  unsigned long lo, hi;
  char perms[8];
  while (std::fgets(line, sizeof line, maps) != nullptr) {
    if (std::sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3) continue;
    if (perms[0] != 'r') continue;
    if (lo <= end && end < hi) end = hi;  // sorted: contiguous mappings chain
  }
  std::fclose(maps);
  std::size_t size = end - start;
  return size < limit ? size : limit;
}

StackTraceFlag* Self(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<StackTraceFlag*>(info.Data().As<v8::External>()->Value());
}
}  // namespace

void StackTraceFlag::Outside(const v8::FunctionCallbackInfo<v8::Value>& info) {
  StackTraceFlag* self = Self(info);
  std::memcpy(self->outside_.data(), self->base_, self->size_);
  // The flag is clear outside every formatting, not just the last one.
  for (std::size_t i = 0; i < self->size_; i++) {
    if (self->outside_[i] != 0) self->candidate_[i] = false;
  }
}

void StackTraceFlag::Inside(const v8::FunctionCallbackInfo<v8::Value>& info) {
  StackTraceFlag* self = Self(info);
  for (std::size_t i = 0; i < self->size_; i++) {
    if (self->candidate_[i] && !(self->outside_[i] == 0 && self->base_[i] == 1)) self->candidate_[i] = false;
  }
  self->rounds_++;
}

int StackTraceFlag::Candidates() const {
  int count = 0;
  for (std::size_t i = 0; i < size_; i++) count += candidate_[i] ? 1 : 0;
  return count;
}

bool StackTraceFlag::Find(v8::Isolate* isolate, v8::Local<v8::Context> context, std::string* error) {
  base_ = reinterpret_cast<const unsigned char*>(isolate);
  size_ = ReadableFrom(reinterpret_cast<std::uintptr_t>(isolate), kScanBytes);
  if (size_ == 0) {
    *error = "cannot read the Isolate's mapping in /proc/self/maps";
    return false;
  }
  outside_.assign(size_, 0);
  candidate_.assign(size_, true);
  rounds_ = 0;
  expected_rounds_ = kRounds;
  // Whether an offset an earlier probe settled is still a candidate here.
  auto is_candidate = [&](std::ptrdiff_t offset) {
    return offset >= 0 && static_cast<std::size_t>(offset) < size_ && candidate_[offset];
  };
  {
    v8::HandleScope scope(isolate);
    v8::Context::Scope context_scope(context);
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::External> data = v8::External::New(isolate, this);
    v8::Local<v8::Function> outside, inside;
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> runner;
    // `outside` is called from JavaScript at about the depth `inside` is
    // (both from a function called by the loop), so that what differs is
    // the formatting itself. Between the two, each round allocates a
    // different number of objects, so that a byte that follows allocation
    // (say, GCs forced by --stress-scavenge falling at the same point of
    // every identical round) does not keep in step with the flag.
    // Error.prepareStackTrace is put back as found.
    v8::Local<v8::String> source = v8::String::NewFromUtf8Literal(
        isolate,
        "(function (outside, inside, rounds) {"
        "  const had = Object.prototype.hasOwnProperty.call(Error, 'prepareStackTrace');"
        "  const saved = Error.prepareStackTrace;"
        "  const kept = [];"
        "  try {"
        "    for (let i = 0; i < rounds; i++) {"
        "      (function () { outside(); })();"
        "      for (let j = (i * 7) % 13; j > 0; j--) kept.push({ j });"
        "      Error.prepareStackTrace = function () { inside(); return ''; };"
        "      (function () { return new Error('probe').stack; })();"
        "      Error.prepareStackTrace = saved;"
        "    }"
        "  } finally {"
        "    if (had) Error.prepareStackTrace = saved; else delete Error.prepareStackTrace;"
        "  }"
        "})");
    v8::Local<v8::Value> argv[3];
    if (!v8::FunctionTemplate::New(isolate, &Outside, data)->GetFunction(context).ToLocal(&outside) ||
        !v8::FunctionTemplate::New(isolate, &Inside, data)->GetFunction(context).ToLocal(&inside) ||
        !v8::Script::Compile(context, source).ToLocal(&script) || !script->Run(context).ToLocal(&runner) ||
        !runner->IsFunction()) {
      *error = "cannot run the prepareStackTrace probe";
      return false;
    }
    argv[0] = outside;
    argv[1] = inside;
    auto probe = [&](int rounds) {
      argv[2] = v8::Integer::New(isolate, rounds);
      return !runner.As<v8::Function>()->Call(context, v8::Undefined(isolate), 3, argv).IsEmpty();
    };
    bool ran = probe(kRounds);
    for (int more = 0; ran && more < kMaxMoreProbes && Candidates() > 1; more++) {
      if (is_candidate(known_offset.load())) break;
      expected_rounds_ += kMoreRounds;
      ran = probe(kMoreRounds);
    }
    if (!ran) {
      *error = "the prepareStackTrace probe threw";
      return false;
    }
  }
  std::size_t found = size_;
  int count = 0;
  for (std::size_t i = 0; i < size_; i++) {
    if (candidate_[i]) {
      found = i;
      count++;
    }
  }
  std::ptrdiff_t known = known_offset.load();
  if (count == 1 && known < 0) {
    known_offset.compare_exchange_strong(known, static_cast<std::ptrdiff_t>(found));
  } else if (count > 1 && is_candidate(known)) {
    found = static_cast<std::size_t>(known);
    count = 1;
  }
  outside_ = {};
  candidate_ = {};
  if (rounds_ != expected_rounds_ || count != 1 || base_[found] != 0) {
    *error = "cannot find Isolate::formatting_stack_trace_ (" + std::to_string(count) + " candidates after " +
             std::to_string(rounds_) + " prepareStackTrace calls)";
    return false;
  }
  flag_ = reinterpret_cast<bool*>(const_cast<unsigned char*>(base_ + found));
  return true;
}

}  // namespace fringe
