{
  "targets": [
    {
      "target_name": "fringe",
      "sources": [
        "native/addon/binding_errors.cc",
        "native/addon/binding_generators.cc",
        "native/addon/binding_module.cc",
        "native/addon/binding_stacks.cc",
        "native/addon/continuation_data_guard.cc",
        "native/addon/join_stack.cc",
        "native/addon/mapping_budget.cc",
        "native/addon/native_bench.cc",
        "native/addon/runtime.cc",
        "native/addon/scavenge_filter.cc",
        "native/addon/stack_trace_flag.cc",
        "native/addon/symbols.cc",
        "native/addon/test_hooks.cc",
        "native/addon/v8_layout.cc",
        "native/addon/v8_thread_state.cc",
        "native/addon/x86_64_decoder.cc"
      ],
      "include_dirs": ["native/include"],
      "cflags!": ["-fno-exceptions", "-fomit-frame-pointer", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags": ["-fno-omit-frame-pointer", "-O2", "-fvisibility=hidden"],
      "cflags_cc": ["-fexceptions", "-fvisibility-inlines-hidden"]
    }
  ]
}
