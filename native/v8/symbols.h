// Finds V8's internal functions in the running node executable.
//
// Up to Node 24.11.0 the node executable exports every v8::internal function
// in its dynamic symbol table, so dlsym finds them. From 24.11.1 on V8 is built
// with hidden visibility: the functions exist only as local symbols in the
// executable's .symtab (official builds are not stripped). The resolver tries
// dlsym first, then reads .symtab/.strtab of /proc/self/exe and adds the load
// bias (zero for a non-PIE executable). A .symtab address is accepted only if
// the name is defined once (".part.0" clones have other names and never
// match), the symbol lies inside an executable segment, and the first code
// bytes in memory equal the bytes in the file.

#ifndef FRINGE_V8_SYMBOLS_H
#define FRINGE_V8_SYMBOLS_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fringe {

class SymbolResolver {
 public:
  struct Result {
    void* address = nullptr;
    bool from_symtab = false;  // false: found by dlsym
  };

  /// Looks up all of `names` at once (reading .symtab costs one pass over
  /// the file). Names not found are absent from the map; `error` explains a
  /// failure to read the executable, if there was one.
  std::map<std::string, Result> Resolve(const std::vector<std::string>& names, std::string* error);
};

}  // namespace fringe

#endif  // FRINGE_V8_SYMBOLS_H
