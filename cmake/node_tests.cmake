# The node tiers (tests/<tier>/*.test.mjs): one CTest test per file, run by node's test runner
# against a built llmux (ENVIRONMENT names it: LLMUX_BIN=...), labelled <tier>. One test per file,
# listed explicitly: node 20 takes a directory, later versions only files or globs. RUN_SERIAL
# because several tests measure timing on 2 cores. LAUNCHER: a command the node command is handed
# to. Used by tests/ and, for the sanitized clang build, by fuzz/.
find_program(NODE node REQUIRED)

function(llmux_node_tests tier)
  cmake_parse_arguments(ARG "" "" "ENVIRONMENT;LAUNCHER;FILES" ${ARGN})
  if(ARG_FILES)
    list(TRANSFORM ARG_FILES PREPEND ${CMAKE_SOURCE_DIR}/tests/${tier}/ OUTPUT_VARIABLE tier_tests)
  else()
    file(GLOB tier_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${tier}/*.test.mjs)
  endif()
  foreach(test_file ${tier_tests})
    get_filename_component(name ${test_file} NAME_WE)
    add_test(NAME ${tier}.${name} COMMAND ${ARG_LAUNCHER} ${NODE} --test ${test_file})
    set_tests_properties(${tier}.${name} PROPERTIES LABELS ${tier} TIMEOUT 300 RUN_SERIAL TRUE
      ENVIRONMENT "${ARG_ENVIRONMENT}")
  endforeach()
endfunction()
