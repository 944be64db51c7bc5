# cmake -DFILE=<elf> -P check_gnu_stack.cmake
# Fails unless the ELF file has a non-executable GNU_STACK segment.
execute_process(COMMAND readelf -lW ${FILE} OUTPUT_VARIABLE segments RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf failed on ${FILE}")
endif()
string(REGEX MATCH "GNU_STACK[^\n]*" line "${segments}")
if(line STREQUAL "")
  message(FATAL_ERROR "${FILE}: no GNU_STACK segment (the stack would be executable)")
endif()
if(line MATCHES "RWE")
  message(FATAL_ERROR "${FILE}: executable stack: ${line}")
endif()
message(STATUS "${FILE}: ${line}")
