// See symbols.h.

#include "v8/symbols.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>
#include <set>

#include "v8/elf_file.h"

namespace fringe {

namespace {

// The main executable's load bias, from dl_iterate_phdr (the first object
// reported is the executable).
int CollectBias(dl_phdr_info* info, size_t, void* data) {
  *static_cast<std::uintptr_t*>(data) = info->dlpi_addr;
  return 1;
}

}  // namespace

std::map<std::string, SymbolResolver::Result> SymbolResolver::Resolve(const std::vector<std::string>& names,
                                                                      std::string* error) {
  std::map<std::string, Result> found;
  std::set<std::string> missing;
  for (const std::string& name : names) {
    if (void* address = dlsym(RTLD_DEFAULT, name.c_str())) {
      found[name] = Result{address, false};
    } else {
      missing.insert(name);
    }
  }
  if (missing.empty()) return found;

  std::uintptr_t bias = 0;
  dl_iterate_phdr(&CollectBias, &bias);
  ElfFile file("/proc/self/exe");
  std::string symtab_error;
  auto addresses = file.FunctionAddresses(missing, ElfFile::kSymtab, &symtab_error);
  if (!symtab_error.empty() && error) *error = symtab_error;
  for (const auto& [name, values] : addresses) {
    if (values.size() != 1) continue;  // ambiguous: refuse rather than guess
    std::uintptr_t link_address = *values.begin();
    std::size_t available = 0;
    const std::uint8_t* in_file = file.CodeAt(link_address, &available);
    auto* live = reinterpret_cast<const std::uint8_t*>(bias + link_address);
    if (in_file != nullptr && available >= 16 && std::memcmp(live, in_file, 16) == 0) {
      found[name] = Result{const_cast<std::uint8_t*>(live), true};
    }
  }
  return found;
}

}  // namespace fringe
