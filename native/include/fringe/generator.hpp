// Generators: a function running on its own stack that can suspend itself
// from any call depth, handing a value out and receiving the next one in.
//
//   fringe::Generator<int, std::string> gen(fringe::OsStack(64 * 1024),
//       [](fringe::Yielder<int, std::string>& yielder, int first) {
//         int next = yielder.suspend("got " + std::to_string(first));
//         ...
//       });
//   std::optional<std::string> out = gen.resume(1);   // "got 1"
//
// resume(input) runs the body until it calls suspend(output), then returns
// that output; it returns std::nullopt once the body has returned. An
// exception thrown by the body propagates out of resume() and finishes the
// generator. A generator destroyed while suspended is unwound first: its
// pending suspend() throws fringe::ForcedUnwind, so destructors and catch
// blocks on its stack run.
//
// Layout: the body and the Channel the two sides talk through live at the
// top of the generator's own stack, below them the frame init_stack builds.
// The Generator object only holds the stack and a pointer into it, so it can
// be moved freely, even while suspended.
//
// Threads: a generator may be resumed from any thread, but by one at a time.
// C++ exception bookkeeping (__cxa_get_globals: the caught-exception stack
// and the uncaught count) is per thread; each switch swaps it with the
// generator's own, so a body may suspend inside a catch block.
//
// Floating point: the rounding mode, exception masks and flush-to-zero
// (MXCSR and the x87 control word, FPCR on AArch64) belong to the thread, as
// in libfringe and corosensei: a body that calls fesetround() changes them
// for its resumer too. A body that needs its own saves and restores them
// around its work (fegetenv/fesetenv); see arch/switch_x86_64_sysv_elf_gas.hpp
// for why the switch does not.

#ifndef FRINGE_GENERATOR_HPP
#define FRINGE_GENERATOR_HPP

#include <cxxabi.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "context.hpp"
#include "stack.hpp"

namespace fringe {

enum class GeneratorState {
  kSuspended,  // not started yet, or waiting in suspend(): resume() may run it
  kRunning,    // executing, or resuming another generator
  kDone,       // the body returned or threw; the stack can be unwrapped
};

/// An input or output that carries nothing, for generators that only produce
/// (Generator<Unit, T> is iterable) or only consume.
struct Unit {
  friend bool operator==(Unit, Unit) { return true; }
  friend bool operator!=(Unit, Unit) { return false; }
};

/// What a pending suspend() throws when a suspended generator is destroyed
/// or force_unwind() is called. Catch it only to rethrow it.
struct ForcedUnwind {};

template <class Input, class Output>
class Yielder;

namespace detail {

[[noreturn]] inline void throw_logic_error(const char* what) {
#if defined(__cpp_exceptions)
  throw std::logic_error(what);
#else
  (void)what;
  __builtin_trap();
#endif
}
[[noreturn]] inline void throw_length_error(const char* what) {
#if defined(__cpp_exceptions)
  throw std::length_error(what);
#else
  (void)what;
  __builtin_trap();
#endif
}

// Itanium C++ ABI: the per-thread exception-handling globals.
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};
inline EhGlobals* this_threads_eh_globals() {
  return reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals());
}
inline void exchange_eh_globals(EhGlobals* live, EhGlobals& saved) {
  std::swap(live->caught_exceptions, saved.caught_exceptions);
  std::swap(live->uncaught_exceptions, saved.uncaught_exceptions);
}

template <class Input, class Output>
struct Channel {
  // The other side's stack pointer: the generator's while it is suspended,
  // its resumer's while it runs.
  void* sp = nullptr;
  void** link = nullptr;
  char* stack_limit = nullptr;
  char* stack_base = nullptr;
  GeneratorState state = GeneratorState::kSuspended;
  bool started = false;
  bool unwinding = false;
  Input* input = nullptr;
  Output* output = nullptr;  // null after the body has finished
  std::exception_ptr error;
  EhGlobals eh{nullptr, 0};
  void* frame = nullptr;  // the Frame<Input, Output, Body> holding this channel
  void (*destroy_body)(void* frame) = nullptr;
};

template <class Input, class Output, class Body>
struct Frame {
  Channel<Input, Output> channel;
  Body body;

  explicit Frame(Body&& b) : body(std::move(b)) {}

  // Runs on the generator's stack, entered from trampoline_2. Never returns.
  [[noreturn]] static void entry(std::uintptr_t arg, void* resumer_sp) {
    auto* channel = reinterpret_cast<Channel<Input, Output>*>(arg);
    auto* frame = static_cast<Frame*>(channel->frame);
    channel->sp = resumer_sp;
    if (!channel->unwinding) {
#if defined(__cpp_exceptions)
      try {
#endif
        Yielder<Input, Output> yielder(channel);
        std::move(frame->body)(yielder, std::move(*channel->input));
#if defined(__cpp_exceptions)
      } catch (const ForcedUnwind&) {
      } catch (...) {
        channel->error = std::current_exception();
      }
#endif
    }
    frame->body.~Body();
    channel->output = nullptr;
    arch::swap(0, channel->sp);
    __builtin_unreachable();
  }

  static void destroy_unstarted(void* frame) { static_cast<Frame*>(frame)->body.~Body(); }
};

}  // namespace detail

/// The generator's side of the channel, handed to the body.
template <class Input, class Output>
class Yielder {
 public:
  /// Hands `output` to resume() and waits; returns the next resume() input.
  /// Throws ForcedUnwind if the generator is being destroyed instead, and
  /// std::logic_error if called anywhere but on this generator's own stack.
  Input suspend(Output output) {
    auto* here = static_cast<char*>(__builtin_frame_address(0));
    if (here < channel_->stack_limit || here >= channel_->stack_base) {
      detail::throw_logic_error("fringe: Yielder::suspend called outside its generator's stack");
    }
    channel_->output = &output;
    arch::Transfer back = arch::swap(0, channel_->sp);
    channel_->sp = back.sp;
    if (channel_->unwinding) {
#if defined(__cpp_exceptions)
      throw ForcedUnwind{};
#else
      __builtin_trap();
#endif
    }
    return std::move(*channel_->input);
  }

  Yielder(const Yielder&) = delete;
  Yielder& operator=(const Yielder&) = delete;

 private:
  template <class, class, class>
  friend struct detail::Frame;
  explicit Yielder(detail::Channel<Input, Output>* channel) : channel_(channel) {}

  detail::Channel<Input, Output>* channel_;
};

/// A body `void(Yielder<Input, Output>&, Input)` running on its own `Stack`.
/// With an unguarded stack (OwnedStack, SliceStack) an overflow corrupts
/// memory instead of faulting: construct those with `unguarded_stack`.
template <class Input, class Output, class Stack = OsStack>
class Generator {
 public:
  struct UnguardedStack {};
  static constexpr UnguardedStack unguarded_stack{};

  template <class Body, class S = Stack, std::enable_if_t<S::kGuarded, int> = 0>
  Generator(Stack stack, Body body) : Generator(unguarded_stack, std::move(stack), std::move(body)) {}

  /// Takes any stack. Throws std::length_error if the stack cannot hold the
  /// body and the first frames.
  template <class Body>
  Generator(UnguardedStack, Stack stack, Body body) : stack_(std::move(stack)) {
    using FrameT = detail::Frame<Input, Output, Body>;
    static_assert(std::is_invocable_v<Body&&, Yielder<Input, Output>&, Input&&>,
                  "the body must be callable as body(Yielder<Input, Output>&, Input)");
    char* base = static_cast<char*>(stack_.base());
    char* limit = static_cast<char*>(stack_.limit());
    std::size_t frame_size = (sizeof(FrameT) + kStackAlignment - 1) & ~(kStackAlignment - 1);
    if (alignof(FrameT) > kStackAlignment ||
        static_cast<std::size_t>(base - limit) < frame_size + kMinimumFreeStack) {
      detail::throw_length_error("fringe: stack too small for this generator");
    }
    char* frame_memory = base - frame_size;
    auto* frame = new (frame_memory) FrameT(std::move(body));
    channel_ = &frame->channel;
    channel_->frame = frame;
    channel_->stack_limit = limit;
    channel_->stack_base = base;
    channel_->link = arch::link_slot(frame_memory);
    channel_->destroy_body = &FrameT::destroy_unstarted;
    channel_->sp = arch::init_stack(frame_memory, &FrameT::entry);
  }

  Generator(Generator&& other) noexcept
      : stack_(std::move(other.stack_)), channel_(std::exchange(other.channel_, nullptr)) {}
  Generator& operator=(Generator&& other) noexcept {
    if (this != &other) {
      finish();
      stack_ = std::move(other.stack_);
      channel_ = std::exchange(other.channel_, nullptr);
    }
    return *this;
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  ~Generator() { finish(); }

  /// Runs the body until it suspends (returns its output) or finishes
  /// (returns std::nullopt; also for a generator that is already done).
  /// Rethrows what the body threw. Throws std::logic_error when the generator
  /// is running (resumed from its own body or from a generator it resumed).
  std::optional<Output> resume(Input input) {
    if (channel_ == nullptr || channel_->state == GeneratorState::kDone) return std::nullopt;
    if (channel_->state == GeneratorState::kRunning) {
      detail::throw_logic_error("fringe: resume() of a running generator");
    }
    channel_->input = &input;
    switch_in();
    if (channel_->output != nullptr) return std::optional<Output>(std::move(*channel_->output));
    if (channel_->error) std::rethrow_exception(std::exchange(channel_->error, nullptr));
    return std::nullopt;
  }

  GeneratorState state() const {
    return channel_ ? channel_->state : GeneratorState::kDone;
  }

  /// Unwinds a suspended generator now: its pending suspend() throws
  /// ForcedUnwind. Rethrows anything else the body throws while unwinding.
  void force_unwind() {
    if (channel_ == nullptr || channel_->state == GeneratorState::kDone) return;
    if (channel_->state == GeneratorState::kRunning) {
      detail::throw_logic_error("fringe: force_unwind() of a running generator");
    }
    if (!channel_->started) {
      channel_->destroy_body(channel_->frame);
      channel_->state = GeneratorState::kDone;
      return;
    }
    channel_->unwinding = true;
    switch_in();
    if (channel_->error) std::rethrow_exception(std::exchange(channel_->error, nullptr));
  }

  /// The stack of a finished generator, for reuse. Throws std::logic_error
  /// unless the generator is done.
  Stack unwrap() && {
    if (state() != GeneratorState::kDone) {
      detail::throw_logic_error("fringe: unwrap() of a generator that has not finished");
    }
    channel_ = nullptr;
    return std::move(stack_);
  }

  /// Input iterator over the outputs, resuming with Input{} each step.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Output;
    using difference_type = std::ptrdiff_t;
    using pointer = Output*;
    using reference = Output&;

    iterator() = default;
    Output& operator*() { return *current_; }
    iterator& operator++() {
      current_ = generator_->resume(Input{});
      return *this;
    }
    bool operator==(const iterator& other) const { return done() == other.done(); }
    bool operator!=(const iterator& other) const { return !(*this == other); }

   private:
    friend class Generator;
    explicit iterator(Generator* generator) : generator_(generator) { ++*this; }
    bool done() const { return !current_.has_value(); }
    Generator* generator_ = nullptr;
    std::optional<Output> current_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

  /// Free bytes the body must leave for the first frames and a switch.
  static constexpr std::size_t kMinimumFreeStack = arch::kInitialFrameSize + arch::kSwitchFrameSize + 256;

 private:
  void switch_in() {
    channel_->started = true;
    channel_->state = GeneratorState::kRunning;
    // One lookup per round trip: resume() returns on the thread it was
    // called on, so the pointer is still this thread's afterwards.
    detail::EhGlobals* eh = detail::this_threads_eh_globals();
    detail::exchange_eh_globals(eh, channel_->eh);
    arch::Transfer back =
        arch::swap_link(reinterpret_cast<std::uintptr_t>(channel_), channel_->sp, channel_->link);
    detail::exchange_eh_globals(eh, channel_->eh);
    channel_->sp = back.sp;
    channel_->state = channel_->output != nullptr ? GeneratorState::kSuspended : GeneratorState::kDone;
  }

  void finish() noexcept {
    if (channel_ == nullptr) return;
    if (channel_->state == GeneratorState::kRunning) std::terminate();
    force_unwind();  // noexcept: a body that throws while unwinding terminates
    channel_ = nullptr;
  }

  Stack stack_;
  detail::Channel<Input, Output>* channel_ = nullptr;
};

}  // namespace fringe

#endif  // FRINGE_GENERATOR_HPP
