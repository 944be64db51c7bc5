{
  "targets": [
    {
      "target_name": "fringe",
      "sources": [
        "native/addon/binding_errors.cc",
        "native/addon/binding_generators.cc",
        "native/addon/binding_module.cc",
        "native/addon/binding_stacks.cc",
        "native/addon/mapping_budget.cc",
        "native/addon/native_bench.cc",
        "native/addon/runtime.cc",
        "native/addon/test_hooks.cc",
        "native/v8/code_analysis.cc",
        "native/v8/continuation_data_guard.cc",
        "native/v8/elf_file.cc",
        "native/v8/isolate_hooks.cc",
        "native/v8/join_stack.cc",
        "native/v8/layout_derivation.cc",
        "native/v8/process_code.cc",
        "native/v8/scavenge_filter.cc",
        "native/v8/stack_trace_flag.cc",
        "native/v8/symbols.cc",
        "native/v8/v8_layout.cc",
        "native/v8/v8_switch.cc",
        "native/v8/v8_thread_state.cc",
        "native/v8/arch/aarch64/decoder.cc",
        "native/v8/arch/aarch64/instruction.cc",
        "native/v8/arch/aarch64/register_model.cc",
        "native/v8/arch/instruction_sets.cc",
        "native/v8/arch/x86_64/decoder.cc",
        "native/v8/arch/x86_64/instruction.cc",
        "native/v8/arch/x86_64/register_model.cc"
      ],
      "include_dirs": ["native/include", "native"],
      "cflags!": ["-fno-exceptions", "-fomit-frame-pointer", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags": ["-fno-omit-frame-pointer", "-O2", "-fvisibility=hidden"],
      "cflags_cc": ["-fexceptions", "-fvisibility-inlines-hidden"]
    }
  ]
}
