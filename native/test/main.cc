// Runs the tests registered with TEST() in the other files of this suite.

#include "check.hpp"

int main(int argc, char** argv) {
  auto& tests = check::registry();
  if (argc > 1 && std::strcmp(argv[1], "--list") == 0) {
    for (auto& t : tests) std::printf("%s\n", t.name);
    return 0;
  }
  int passed = 0, failed = 0;
  for (auto& t : tests) {
    bool selected = argc == 1;
    for (int i = 1; i < argc; i++) selected |= std::strcmp(argv[i], t.name) == 0;
    if (!selected) continue;
    int before = check::failures();
    try {
      t.run();
    } catch (const check::Stop&) {
    } catch (const std::exception& e) {
      std::fprintf(stderr, "  unexpected exception: %s\n", e.what());
      ++check::failures();
    }
    bool ok = check::failures() == before;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", t.name);
    (ok ? passed : failed)++;
  }
  if (passed + failed == 0) {
    std::fprintf(stderr, "no test matched\n");
    return 2;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

