// See code_analysis.h.

#include "v8/code_analysis.h"

#include <cstdio>

namespace fringe {
namespace code {

Value Value::Add(std::int64_t offset) const {
  if (!known()) return *this;
  Value v = *this;
  if (v.steps > 0 && !v.step[v.steps - 1].load) {
    v.step[v.steps - 1].offset += offset;
    return v;
  }
  if (v.steps == kMaxSteps) return Unknown();
  v.step[v.steps++] = Step{false, offset};
  return v;
}

Value Value::Load(std::int64_t offset) const {
  if (!known()) return *this;
  Value v = *this;
  if (v.steps > 0 && !v.step[v.steps - 1].load) {
    v.step[v.steps - 1] = Step{true, v.step[v.steps - 1].offset + offset};
    return v;
  }
  if (v.steps == kMaxSteps) return Unknown();
  v.step[v.steps++] = Step{true, offset};
  return v;
}

bool Value::Is(int arg, std::initializer_list<std::int64_t> loads, std::int64_t* final_add) const {
  if (argument != arg) return false;
  int i = 0;
  for (std::int64_t offset : loads) {
    if (i >= steps || !step[i].load || step[i].offset != offset) return false;
    i++;
  }
  std::int64_t add = 0;
  if (i < steps) {
    if (step[i].load || i + 1 != steps) return false;
    add = step[i].offset;
  }
  if (final_add) *final_add = add;
  else if (add != 0) return false;
  return true;
}

std::string Value::ToString() const {
  if (!known()) return "?";
  std::string s = "arg" + std::to_string(argument);
  char buf[64];
  for (int i = 0; i < steps; i++) {
    std::snprintf(buf, sizeof buf, step[i].load ? "[+0x%llx]" : "+0x%llx",
                  static_cast<unsigned long long>(step[i].offset));
    s += buf;
  }
  return s;
}

}  // namespace code
}  // namespace fringe
