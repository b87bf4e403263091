# The GoogleTest binaries of the integration tier that test a library in-process against real
# servers: tests/redis (the Redis client, and in redis/<folder>/ another folder's Redis parts,
# against redis-server processes the tests start) and tests/sdk (the in-process library against
# the mock upstream under node). Used by tests/ and, for the sanitized clang build, by fuzz/.
# Needs unit_tests.cmake (GoogleTest) and node_tests.cmake (NODE) included first.

function(llmux_redis_tests)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/redis/*.cpp)
  add_executable(redis_tests ${sources})
  target_link_libraries(redis_tests PRIVATE llmux_redis llmux_cache GTest::gtest_main)
  gtest_discover_tests(redis_tests TEST_PREFIX redis. PROPERTIES LABELS integration TIMEOUT 120
                       DISCOVERY_TIMEOUT 60)
endfunction()

function(llmux_sdk_tests)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/sdk/*.cpp)
  add_executable(sdk_tests ${sources})
  target_link_libraries(sdk_tests PRIVATE llmux_sdk GTest::gtest_main)
  target_compile_definitions(sdk_tests PRIVATE LLMUX_NODE="${NODE}"
    LLMUX_SOURCE_DIR="${CMAKE_SOURCE_DIR}" LLMUX_FIXTURES_DIR="${CMAKE_SOURCE_DIR}/tests/fixtures")
  gtest_discover_tests(sdk_tests TEST_PREFIX sdk. PROPERTIES LABELS integration TIMEOUT 120
                       DISCOVERY_TIMEOUT 60)
endfunction()
