# The in-process library (src/sdk) as a CMake package: `cmake --install build` puts its headers,
# its static libraries (llmux_sdk and the folders it links) and llmuxConfig.cmake under the
# prefix, so that another project's find_package(llmux) gives it the target llmux::sdk.
# tests/sdk/consumer is such a project (CTest sdk.package).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LLMUX_SDK_LIBRARIES llmux_sdk llmux_base llmux_net llmux_api llmux_config llmux_providers
                        llmux_router llmux_upstream llmux_relay)
foreach(library ${LLMUX_SDK_LIBRARIES})
  string(REPLACE "llmux_" "" exported ${library})
  set_target_properties(${library} PROPERTIES EXPORT_NAME ${exported})
endforeach()

set(LLMUX_SDK_INCLUDE_DIR ${CMAKE_INSTALL_INCLUDEDIR}/llmux)
target_include_directories(llmux_sdk INTERFACE $<INSTALL_INTERFACE:${LLMUX_SDK_INCLUDE_DIR}>)
# Asio and Beast are compiled once, in llmux_net: a program using sdk/asio.hpp compiles Asio the
# same way, so that it uses those definitions instead of compiling its own inline copies.
target_compile_definitions(
  llmux_sdk INTERFACE $<INSTALL_INTERFACE:BOOST_ASIO_SEPARATE_COMPILATION>
                      $<INSTALL_INTERFACE:BOOST_BEAST_SEPARATE_COMPILATION>
                      $<INSTALL_INTERFACE:BOOST_ASIO_NO_DEPRECATED>)

install(TARGETS ${LLMUX_SDK_LIBRARIES} EXPORT llmuxTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk)
# The API's headers: the client and its Asio operations, and the three they include.
install(FILES ${CMAKE_SOURCE_DIR}/src/sdk/client.hpp ${CMAKE_SOURCE_DIR}/src/sdk/asio.hpp
        DESTINATION ${LLMUX_SDK_INCLUDE_DIR}/sdk COMPONENT sdk)
install(FILES ${CMAKE_SOURCE_DIR}/src/api/endpoint.hpp ${CMAKE_SOURCE_DIR}/src/api/usage.hpp
        DESTINATION ${LLMUX_SDK_INCLUDE_DIR}/api COMPONENT sdk)
install(FILES ${CMAKE_SOURCE_DIR}/src/base/error.hpp DESTINATION ${LLMUX_SDK_INCLUDE_DIR}/base
        COMPONENT sdk)

set(LLMUX_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/llmux)
install(EXPORT llmuxTargets NAMESPACE llmux:: DESTINATION ${LLMUX_PACKAGE_DIR} COMPONENT sdk)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/llmuxConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/package/llmuxConfig.cmake
                              INSTALL_DESTINATION ${LLMUX_PACKAGE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/llmuxConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/llmuxConfig.cmake
              ${CMAKE_BINARY_DIR}/package/llmuxConfigVersion.cmake
        DESTINATION ${LLMUX_PACKAGE_DIR} COMPONENT sdk)
