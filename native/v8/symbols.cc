// See symbols.h.

#include "v8/symbols.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>

namespace fringe {

namespace {

// The main executable's load bias and its executable segments, from
// dl_iterate_phdr (the first object reported is the executable).
struct ExecutableImage {
  std::uintptr_t bias = 0;
  bool found = false;
  struct Segment {
    std::uintptr_t start, end;  // link-time addresses
    std::uint64_t file_offset;
  };
  std::vector<Segment> executable_segments;
};

int CollectImage(dl_phdr_info* info, size_t, void* data) {
  auto* image = static_cast<ExecutableImage*>(data);
  if (image->found) return 1;
  image->found = true;
  image->bias = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
      image->executable_segments.push_back({ph.p_vaddr, ph.p_vaddr + ph.p_filesz, ph.p_offset});
    }
  }
  return 1;
}

// A read-only mapping of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const char* path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const std::uint8_t*>(p);
        size_ = static_cast<size_t>(st.st_size);
      }
    }
    close(fd);
  }
  ~MappedFile() {
    if (data_) munmap(const_cast<std::uint8_t*>(data_), size_);
  }
  const std::uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const std::uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

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

  ExecutableImage image;
  dl_iterate_phdr(&CollectImage, &image);
  MappedFile file("/proc/self/exe");
  const std::uint8_t* data = file.data();
  if (data == nullptr || file.size() < sizeof(Elf64_Ehdr)) {
    if (error) *error = "cannot read /proc/self/exe";
    return found;
  }
  const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(data);
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff == 0 ||
      eh->e_shoff + static_cast<std::uint64_t>(eh->e_shnum) * sizeof(ElfW(Shdr)) > file.size()) {
    if (error) *error = "/proc/self/exe has no section headers";
    return found;
  }
  const auto* sections = reinterpret_cast<const ElfW(Shdr)*>(data + eh->e_shoff);
  const ElfW(Shdr)* symtab = nullptr;
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sections[i].sh_type == SHT_SYMTAB) symtab = &sections[i];
  }
  if (symtab == nullptr || symtab->sh_link >= eh->e_shnum) {
    if (error) *error = "the node executable is stripped (no .symtab)";
    return found;
  }
  const ElfW(Shdr)& strtab = sections[symtab->sh_link];
  if (symtab->sh_offset + symtab->sh_size > file.size() || strtab.sh_offset + strtab.sh_size > file.size()) {
    if (error) *error = "truncated .symtab";
    return found;
  }
  const auto* symbols = reinterpret_cast<const ElfW(Sym)*>(data + symtab->sh_offset);
  const size_t count = symtab->sh_size / sizeof(ElfW(Sym));
  const char* strings = reinterpret_cast<const char*>(data + strtab.sh_offset);

  std::map<std::string, std::set<std::uintptr_t>> addresses;
  for (size_t i = 0; i < count; i++) {
    const ElfW(Sym)& sym = symbols[i];
    if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0 || sym.st_name >= strtab.sh_size) continue;
    const char* name = strings + sym.st_name;
    if (missing.count(name)) addresses[name].insert(sym.st_value);
  }
  for (const auto& [name, values] : addresses) {
    if (values.size() != 1) continue;  // ambiguous: refuse rather than guess
    std::uintptr_t link_address = *values.begin();
    for (const auto& seg : image.executable_segments) {
      if (link_address < seg.start || link_address + 16 > seg.end) continue;
      std::uint64_t file_offset = seg.file_offset + (link_address - seg.start);
      auto* live = reinterpret_cast<const std::uint8_t*>(image.bias + link_address);
      if (file_offset + 16 <= file.size() && std::memcmp(live, data + file_offset, 16) == 0) {
        found[name] = Result{const_cast<std::uint8_t*>(live), true};
      }
      break;
    }
  }
  return found;
}

}  // namespace fringe
