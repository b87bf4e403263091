# One folder's unit tests (tests/unit/<folder>/*_test.cpp, mirroring src/<folder>/): one binary,
# unit_<folder>, linked only with that folder's library, so each builds on its own; its tests are
# registered with CTest under the label `unit`. Used by tests/ and, for the sanitized clang build,
# by fuzz/.
find_package(GTest REQUIRED)
include(GoogleTest)

function(llmux_unit_tests folder)
  file(GLOB_RECURSE tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/${folder}/*_test.cpp)
  if(NOT tests OR NOT TARGET llmux_${folder})
    return()
  endif()
  add_executable(unit_${folder} ${tests})
  target_link_libraries(unit_${folder} PRIVATE llmux_${folder} GTest::gtest_main GTest::gmock)
  target_compile_definitions(unit_${folder} PRIVATE
    LLMUX_SOURCE_DIR="${CMAKE_SOURCE_DIR}" LLMUX_FIXTURES_DIR="${CMAKE_SOURCE_DIR}/tests/fixtures")
  gtest_discover_tests(unit_${folder} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
