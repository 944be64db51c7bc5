// The C++ generator API.

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.hpp"
#include "fringe/generator.hpp"

using fringe::Generator;
using fringe::GeneratorState;
using fringe::OsStack;
using fringe::Yielder;

namespace {
using IntGen = Generator<int, int>;
OsStack small_stack() { return OsStack(64 * 1024); }

// Counts live instances, to see destructors run.
struct Tracked {
  static int live;
  Tracked() { ++live; }
  Tracked(const Tracked&) { ++live; }
  ~Tracked() { --live; }
};
int Tracked::live = 0;
}  // namespace

TEST(generator) {
  IntGen gen(small_stack(), [](Yielder<int, int>& yielder, int first) {
    int total = first;
    for (int i = 0; i < 3; i++) total += yielder.suspend(total);
  });
  CHECK(gen.state() == GeneratorState::kSuspended);
  CHECK(*gen.resume(1) == 1);
  CHECK(gen.state() == GeneratorState::kSuspended);
  CHECK(*gen.resume(2) == 3);
  CHECK(*gen.resume(3) == 6);
  CHECK(!gen.resume(4).has_value());  // the body returned
  CHECK(gen.state() == GeneratorState::kDone);
  CHECK(!gen.resume(5).has_value());  // and stays done
}

TEST(generator_values_move_through) {
  Generator<std::unique_ptr<int>, std::string> gen(
      small_stack(), [](Yielder<std::unique_ptr<int>, std::string>& yielder, std::unique_ptr<int> in) {
        for (;;) in = yielder.suspend(std::to_string(*in));
      });
  for (int i = 0; i < 100; i++) CHECK(*gen.resume(std::make_unique<int>(i)) == std::to_string(i));
}

TEST(generator_state_is_running_inside_the_body) {
  IntGen* self = nullptr;
  GeneratorState seen = GeneratorState::kDone;
  IntGen gen(small_stack(), [&](Yielder<int, int>& yielder, int) {
    seen = self->state();
    yielder.suspend(0);
  });
  self = &gen;
  gen.resume(0);
  CHECK(seen == GeneratorState::kRunning);
}

TEST(move_after_new) {
  IntGen gen(small_stack(), [](Yielder<int, int>& yielder, int x) {
    std::string local = "kept on the generator's stack";
    for (;;) x = yielder.suspend(x + static_cast<int>(local.size()));
  });
  IntGen moved(std::move(gen));  // before the first resume
  CHECK(gen.state() == GeneratorState::kDone);
  CHECK(*moved.resume(1) == 1 + 29);
  IntGen again = std::move(moved);  // while suspended
  CHECK(*again.resume(2) == 2 + 29);
  std::vector<IntGen> many;
  many.push_back(std::move(again));
  for (int i = 0; i < 20; i++) {
    many.push_back(IntGen(small_stack(), [](Yielder<int, int>& y, int x) {
      for (;;) x = y.suspend(-x);
    }));  // reallocation moves the suspended ones
  }
  CHECK(*many[0].resume(3) == 3 + 29);
  CHECK(*many[20].resume(3) == -3);
}

TEST(panic_after_start) {
  IntGen gen(small_stack(), [](Yielder<int, int>&, int) -> void { throw std::runtime_error("at start"); });
  bool caught = false;
  try {
    gen.resume(0);
  } catch (const std::runtime_error& e) {
    caught = std::string(e.what()) == "at start";
  }
  CHECK(caught);
  CHECK(gen.state() == GeneratorState::kDone);
  CHECK(!gen.resume(0).has_value());
}

TEST(panic_after_swap) {
  Tracked::live = 0;
  IntGen gen(small_stack(), [](Yielder<int, int>& yielder, int) {
    Tracked on_stack;
    yielder.suspend(1);
    throw std::out_of_range("after a switch");
  });
  CHECK(*gen.resume(0) == 1);
  CHECK(Tracked::live == 1);
  CHECK_THROWS(std::out_of_range, gen.resume(0));
  CHECK(Tracked::live == 0);  // the body's locals were destroyed while unwinding
  CHECK(gen.state() == GeneratorState::kDone);
}

TEST(exception_safety_catch_inside_body) {
  IntGen gen(small_stack(), [](Yielder<int, int>& yielder, int) {
    for (int i = 0; i < 3; i++) {
      try {
        throw i;
      } catch (int caught) {
        // Suspend inside a catch block: the resumer throws and catches its
        // own exceptions meanwhile, and each side's caught-exception stack
        // must stay its own.
        int next = yielder.suspend(caught);
        CHECK(std::current_exception() != nullptr);
        try {
          throw;
        } catch (int again) {
          CHECK(again == i);
          (void)next;
        }
      }
    }
  });
  for (int i = 0; i < 3; i++) {
    CHECK(*gen.resume(0) == i);
    CHECK(std::current_exception() == nullptr);  // the generator's catch is not ours
    try {
      throw std::string("resumer");
    } catch (const std::string& s) {
      CHECK(s == "resumer");
    }
    CHECK(std::uncaught_exceptions() == 0);
  }
  CHECK(!gen.resume(0).has_value());
}

TEST(dropping_a_suspended_generator_unwinds_it) {
  Tracked::live = 0;
  bool finally_ran = false;
  {
    IntGen gen(small_stack(), [&](Yielder<int, int>& yielder, int) {
      Tracked a;
      struct Finally {
        bool* flag;
        ~Finally() { *flag = true; }
      } finally{&finally_ran};
      for (;;) yielder.suspend(Tracked::live);
    });
    CHECK(*gen.resume(0) == 1);
  }
  CHECK(finally_ran);
  CHECK(Tracked::live == 0);
}

TEST(dropping_an_unstarted_generator_destroys_its_body) {
  Tracked::live = 0;
  {
    Tracked captured;
    IntGen gen(small_stack(), [captured](Yielder<int, int>& y, int) { y.suspend(0); });
    CHECK(Tracked::live == 2);
  }
  CHECK(Tracked::live == 0);
}

TEST(forced_unwind_rethrows_other_exceptions) {
  IntGen gen(small_stack(), [](Yielder<int, int>& yielder, int) {
    try {
      yielder.suspend(0);
    } catch (const fringe::ForcedUnwind&) {
      throw std::logic_error("cleanup failed");
    }
  });
  gen.resume(0);
  CHECK_THROWS(std::logic_error, gen.force_unwind());
  CHECK(gen.state() == GeneratorState::kDone);
}

TEST(forgotten_output_is_destroyed_once) {
  // libfringe's forget_yielded: a yielded value that is never taken must be
  // destroyed exactly once.
  Tracked::live = 0;
  {
    Generator<int, std::shared_ptr<Tracked>> gen(
        small_stack(), [](Yielder<int, std::shared_ptr<Tracked>>& yielder, int) {
          yielder.suspend(std::make_shared<Tracked>());
        });
    auto out = gen.resume(0);
    CHECK(Tracked::live == 1);
  }
  CHECK(Tracked::live == 0);
}

TEST(unwrap_returned) {
  IntGen gen(small_stack(), [](Yielder<int, int>&, int) {});
  void* base = nullptr;
  CHECK(!gen.resume(0).has_value());
  OsStack stack = std::move(gen).unwrap();
  base = stack.base();
  CHECK(stack.size() == 64 * 1024);
  // The stack carries a new generator.
  IntGen reused(std::move(stack), [](Yielder<int, int>& y, int x) { y.suspend(x + 1); });
  CHECK(*reused.resume(41) == 42);
  (void)base;
}

TEST(unwrap_panicked) {
  IntGen gen(small_stack(), [](Yielder<int, int>&, int) { throw 7; });
  CHECK_THROWS(int, gen.resume(0));
  OsStack stack = std::move(gen).unwrap();
  CHECK(static_cast<bool>(stack));
}

TEST(unwrap_running) {
  IntGen* self = nullptr;
  bool threw = false;
  IntGen gen(small_stack(), [&](Yielder<int, int>& yielder, int) {
    try {
      (void)std::move(*self).unwrap();
    } catch (const std::logic_error&) {
      threw = true;
    }
    yielder.suspend(0);
  });
  self = &gen;
  gen.resume(0);
  CHECK(threw);
  CHECK_THROWS(std::logic_error, std::move(gen).unwrap());  // suspended
  CHECK(gen.state() == GeneratorState::kSuspended);
}

TEST(producer) {
  Generator<fringe::Unit, int> squares(small_stack(), [](Yielder<fringe::Unit, int>& yielder, fringe::Unit) {
    for (int i = 1; i <= 5; i++) yielder.suspend(i * i);
  });
  std::vector<int> seen;
  for (int value : squares) seen.push_back(value);
  CHECK((seen == std::vector<int>{1, 4, 9, 16, 25}));
  CHECK(squares.state() == GeneratorState::kDone);
}

TEST(resume_of_running_generator_throws) {
  IntGen* self = nullptr;
  bool threw = false;
  IntGen gen(small_stack(), [&](Yielder<int, int>& yielder, int) {
    try {
      self->resume(0);
    } catch (const std::logic_error&) {
      threw = true;
    }
    yielder.suspend(0);
  });
  self = &gen;
  gen.resume(0);
  CHECK(threw);
}

TEST(nested_generators) {
  IntGen inner(small_stack(), [](Yielder<int, int>& yielder, int x) {
    for (;;) x = yielder.suspend(x * 10);
  });
  IntGen outer(small_stack(), [&](Yielder<int, int>& yielder, int x) {
    for (;;) x = yielder.suspend(*inner.resume(x) + 1);
  });
  for (int i = 0; i < 100; i++) CHECK(*outer.resume(i) == i * 10 + 1);
}

TEST(yielder_used_from_another_stack_throws) {
  Yielder<int, int>* outer_yielder = nullptr;
  bool threw = false;
  IntGen outer(small_stack(), [&](Yielder<int, int>& yielder, int) {
    outer_yielder = &yielder;
    IntGen inner(small_stack(), [&](Yielder<int, int>& y, int) {
      try {
        outer_yielder->suspend(1);  // not this generator's yielder
      } catch (const std::logic_error&) {
        threw = true;
      }
      y.suspend(0);
    });
    inner.resume(0);
    yielder.suspend(2);
  });
  CHECK(*outer.resume(0) == 2);
  CHECK(threw);
}

TEST(stack_too_small_is_rejected) {
  using OwnedGen = Generator<int, int, fringe::OwnedStack>;
  auto make = [] {
    return OwnedGen(OwnedGen::unguarded_stack, fringe::OwnedStack(64), [](Yielder<int, int>&, int) {});
  };
  CHECK_THROWS(std::length_error, make());
}

// One page is enough to run and switch, though not for the C++ unwinder
// (throwing needs several KiB), so this body runs to its end.
TEST(one_page_stack_runs_a_generator) {
  IntGen gen(OsStack(0), [](Yielder<int, int>& yielder, int x) {
    for (int i = 0; i < 10; i++) x = yielder.suspend(x + 1);
  });
  for (int i = 0; i < 10; i++) CHECK(*gen.resume(i) == i + 1);
  CHECK(!gen.resume(0).has_value());
}
