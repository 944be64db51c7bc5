# The addon's sources, for CMakeLists.txt (cmake-js). binding.gyp lists the
# same files; test/00.build.test.js checks that the two lists agree.
set(FRINGE_ADDON_SOURCES
  native/addon/binding_errors.cc
  native/addon/binding_generators.cc
  native/addon/binding_module.cc
  native/addon/binding_stacks.cc
  native/addon/continuation_data_guard.cc
  native/addon/join_stack.cc
  native/addon/mapping_budget.cc
  native/addon/native_bench.cc
  native/addon/runtime.cc
  native/addon/scavenge_filter.cc
  native/addon/stack_trace_flag.cc
  native/addon/symbols.cc
  native/addon/test_hooks.cc
  native/addon/v8_layout.cc
  native/addon/v8_thread_state.cc
  native/addon/x86_64_decoder.cc)
