// See process_code.h.

#include "v8/process_code.h"

#include "v8/symbols.h"

namespace fringe {

namespace {

// How far past a function's start the derivation may read: it is in the
// executable's text, which the derivation's longest walk (2 KiB, see
// layout_derivation.cc) does not leave for the functions it decodes.
constexpr std::size_t kReadable = 4096;

}  // namespace

std::map<std::string, CodeSource::Function> ProcessCode::Find(const std::vector<std::string>& names,
                                                              std::string* error) {
  std::map<std::string, Function> out;
  for (const auto& [name, result] : SymbolResolver().Resolve(names, error)) {
    Function f;
    f.code.bytes = static_cast<const std::uint8_t*>(result.address);
    f.code.size = kReadable;
    f.code.address = reinterpret_cast<std::uintptr_t>(result.address);
    f.from_symtab = result.from_symtab;
    out[name] = f;
  }
  return out;
}

bool ProcessCode::ConstantResult(const Function& f, std::int64_t* value, std::string*) {
  // ArchiveSpacePerThread() is a static function without side effects:
  // calling it is exact, whatever instructions the compiler chose.
  *value = reinterpret_cast<int (*)()>(f.code.address)();
  return true;
}

}  // namespace fringe
