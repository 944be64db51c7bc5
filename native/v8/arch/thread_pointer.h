// The thread pointer of the running thread: where initial-exec thread-locals
// of the executable are found (InstructionSet::InitialExecTlsLoad gives their
// offset). Live only; one line per architecture.

#ifndef FRINGE_V8_ARCH_THREAD_POINTER_H
#define FRINGE_V8_ARCH_THREAD_POINTER_H

namespace fringe {

inline char* ThreadPointer() {
  void* pointer;
#if defined(__x86_64__)
  // %fs:0 holds the thread control block's own address (the x86-64 TLS ABI).
  asm("mov %%fs:0, %0" : "=r"(pointer));
#elif defined(__aarch64__)
  // TPIDR_EL0 is the thread pointer (the AArch64 TLS ABI).
  asm("mrs %0, tpidr_el0" : "=r"(pointer));
#else
#error "fringe: no thread-pointer read for this architecture"
#endif
  return static_cast<char*>(pointer);
}

}  // namespace fringe

#endif  // FRINGE_V8_ARCH_THREAD_POINTER_H
