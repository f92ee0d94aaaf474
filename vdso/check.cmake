# Build-time checks of the vDSO image (cmake -P, with READELF and SO):
# what glibc's loader and static glibc need from it, and what the sentry's
# mapping assumes. Linux's vdso2c checks the same things.

function(readelf out)
  execute_process(COMMAND ${READELF} ${ARGN} ${SO} OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "vDSO: readelf ${ARGN} failed")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Nobody relocates a vDSO.
readelf(relocs -rW)
if(NOT relocs MATCHES "There are no relocations")
  message(FATAL_ERROR "vDSO: the image has relocations:\n${relocs}")
endif()

# One PT_LOAD, from offset 0 at address 0: exec maps the file as it is.
readelf(phdrs -lW)
string(REGEX MATCHALL "\n  LOAD[^\n]*" loads "${phdrs}")
list(LENGTH loads nloads)
if(NOT nloads EQUAL 1 OR NOT loads MATCHES "LOAD +0x0+ 0x0+ ")
  message(FATAL_ERROR "vDSO: expected one PT_LOAD at offset 0, address 0:\n${phdrs}")
endif()

# Both hash tables, so that any dynamic loader finds the symbols.
readelf(dyn -dW)
if(NOT dyn MATCHES "\\(HASH\\)" OR NOT dyn MATCHES "\\(GNU_HASH\\)" OR NOT dyn MATCHES "\\(VERDEF\\)")
  message(FATAL_ERROR "vDSO: DT_HASH, DT_GNU_HASH and DT_VERDEF expected:\n${dyn}")
endif()

# Every function, versioned LINUX_2.6, under both names.
readelf(syms --dyn-syms -W)
foreach(fn clock_gettime gettimeofday time clock_getres getcpu)
  if(NOT syms MATCHES " __vdso_${fn}@@LINUX_2\\.6\n" OR NOT syms MATCHES " WEAK +DEFAULT +[0-9]+ ${fn}@@LINUX_2\\.6\n")
    message(FATAL_ERROR "vDSO: ${fn} or __vdso_${fn} is not exported as LINUX_2.6:\n${syms}")
  endif()
endforeach()
if(syms MATCHES " UND [^\n]*[A-Za-z_]")
  message(FATAL_ERROR "vDSO: undefined symbols:\n${syms}")
endif()
