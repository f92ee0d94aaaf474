# amber_compare(): register a test that runs a command natively and in the
# sandbox (`runsc do`) through compare.sh, and compares stdout and exit status.
#
#   amber_compare(NAME <test> COMMAND <program> [<arg>...]
#                 [OPTIONS <compare.sh option>...] [LABELS <label>...]
#                 [TIMEOUT <seconds>] [ENVIRONMENT <VAR=value>...]
#                 [FIXTURES <fixture>...] [SLOW])
#
# SLOW adds the label "slow": programs that spend most of their time computing
# rather than in system calls, which a quick run (ctest -LE slow) may skip.
#
# Arguments go through CMake lists: an empty argument is dropped and a ';'
# splits one, so write multi-statement code with newlines instead.
set(AMBER_COMPARE ${CMAKE_CURRENT_LIST_DIR}/compare.sh)
set(AMBER_SIGNAL ${CMAKE_CURRENT_LIST_DIR}/signal.sh)
# Scratch space inside the build tree, not /tmp: `ls -la /` shows /tmp's
# modification time, which a concurrent test must not change.
set(AMBER_COMPARE_TMPDIR ${PROJECT_BINARY_DIR}/tests/scratch)
file(MAKE_DIRECTORY ${AMBER_COMPARE_TMPDIR})

# runguard runs each side of a comparison; plain C, never sanitized.
if(NOT TARGET amber_runguard)
  add_executable(amber_runguard ${CMAKE_CURRENT_LIST_DIR}/runguard.c)
  set_target_properties(amber_runguard PROPERTIES OUTPUT_NAME runguard
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests
    COMPILE_OPTIONS "-Wall;-Wextra;-Werror" COMPILE_DEFINITIONS "" LINK_OPTIONS "")
endif()
set(AMBER_TEST_ENVIRONMENT
  "RUNSC=$<TARGET_FILE:runsc>;RUNGUARD=$<TARGET_FILE:amber_runguard>;COMPARE_TMPDIR=${AMBER_COMPARE_TMPDIR}")

# One registration of the comparison of the calling amber_compare (whose
# C_* variables it reads): TEST's name, its LABELS and extra ENV (lists),
# then compare.sh options of its own.
function(_amber_compare_add test labels env)
  set(environment ${AMBER_TEST_ENVIRONMENT} ${env} ${C_ENVIRONMENT})
  add_test(NAME ${test} COMMAND ${AMBER_COMPARE} ${ARGN} ${C_OPTIONS} -- ${C_COMMAND})
  set_tests_properties(${test} PROPERTIES
    ENVIRONMENT "${environment}"
    TIMEOUT ${C_TIMEOUT}
    LABELS "${labels}")
  if(C_FIXTURES)
    set_tests_properties(${test} PROPERTIES FIXTURES_REQUIRED "${C_FIXTURES}")
  endif()
endfunction()

function(amber_compare)
  cmake_parse_arguments(PARSE_ARGV 0 C "SLOW;NOCR" "NAME;TIMEOUT" "COMMAND;OPTIONS;LABELS;ENVIRONMENT;FIXTURES")
  if(NOT C_NAME OR NOT C_COMMAND)
    message(FATAL_ERROR "amber_compare: NAME and COMMAND are required")
  endif()
  if(C_SLOW)
    list(APPEND C_LABELS slow)
  endif()
  if(NOT C_TIMEOUT)
    set(C_TIMEOUT 150)
  endif()
  _amber_compare_add(${C_NAME} "${C_LABELS}" "")
  # The default platform is systrap; the syscall tests of static programs
  # run once more on ptrace (label ptrace), the platform kept for debugging.
  if(C_NAME MATCHES "^syscalls/.*/static$")
    _amber_compare_add(ptrace/${C_NAME} ptrace "RUNSC_FLAGS=--platform=ptrace")
  endif()
  # The same comparison in checkpoint/restore mode (label cr), for every
  # test whose sandboxed side runs a program to its end. Syscall tests also
  # cross platforms: static programs are checkpointed on systrap and
  # restored on ptrace, dynamic ones the other way round.
  if(NOT C_OPTIONS MATCHES "--expect-error|--sandbox-only" AND NOT C_NOCR)
    set(platforms "")
    if(C_NAME MATCHES "^syscalls/.*/static$")
      set(platforms "AMBER_CR_PLATFORMS=systrap ptrace")
    elseif(C_NAME MATCHES "^syscalls/.*/dynamic$")
      set(platforms "AMBER_CR_PLATFORMS=ptrace systrap")
    endif()
    _amber_compare_add(cr/${C_NAME} "cr;checkpoint" "${platforms}" --cr)
  endif()
endfunction()
