// A minimal test harness for the native suite: TEST(name) registers a test,
// CHECK(cond) records a failure and continues, REQUIRE(cond) stops the test.
// `tests NAME...` runs the named tests (ctest runs one per entry), `tests`
// alone runs all, `tests --list` prints the names. The last line is
// "N passed, N failed".

#ifndef FRINGE_TEST_CHECK_HPP
#define FRINGE_TEST_CHECK_HPP

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace check {

struct Test {
  const char* name;
  void (*run)();
};

inline std::vector<Test>& registry() {
  static std::vector<Test> tests;
  return tests;
}

inline int& failures() {
  static int count = 0;
  return count;
}

struct Register {
  Register(const char* name, void (*run)()) { registry().push_back({name, run}); }
};

struct Stop {};

inline void fail(const char* file, int line, const char* expr) {
  std::fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, expr);
  ++failures();
}

}  // namespace check

#define TEST(name)                                              \
  static void test_##name();                                    \
  static check::Register register_##name(#name, &test_##name); \
  static void test_##name()

#define CHECK(cond) \
  ((cond) ? (void)0 : check::fail(__FILE__, __LINE__, #cond))

#define REQUIRE(cond)                               \
  do {                                              \
    if (!(cond)) {                                  \
      check::fail(__FILE__, __LINE__, #cond);       \
      throw check::Stop{};                          \
    }                                               \
  } while (0)

// Evaluates `expr` and checks that it throws `type`.
#define CHECK_THROWS(type, expr)                                   \
  do {                                                             \
    bool threw_ = false;                                           \
    try {                                                          \
      (void)(expr);                                                \
    } catch (const type&) {                                        \
      threw_ = true;                                               \
    }                                                              \
    if (!threw_) check::fail(__FILE__, __LINE__, #expr " throws " #type); \
  } while (0)

#endif  // FRINGE_TEST_CHECK_HPP
