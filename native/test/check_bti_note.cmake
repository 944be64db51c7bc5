# cmake -DFILE=<elf> -P check_bti_note.cmake
# Fails unless the AArch64 ELF file is marked BTI and PAC compatible
# (GNU_PROPERTY_AARCH64_FEATURE_1_AND in .note.gnu.property): the property
# the compiler emits for -mbranch-protection=standard survives only when
# every object linked in has it.
execute_process(COMMAND readelf -nW ${FILE} OUTPUT_VARIABLE notes RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf failed on ${FILE}")
endif()
string(REGEX MATCH "AArch64 feature:[^\n]*" line "${notes}")
if(NOT line MATCHES "BTI" OR NOT line MATCHES "PAC")
  message(FATAL_ERROR "${FILE}: not marked BTI and PAC compatible (${line})")
endif()
message(STATUS "${FILE}: ${line}")
