# inventory_test(NAME name SOURCES ... LIBS ... LABELS ...)
#
# Adds one GoogleTest binary and registers it with ctest. Labels say what a
# test needs: "unit" (nothing), "cql" (a live Cassandra), "redis" (a live
# Redis), "e2e" (both plus inventoryd). The test scripts select by label.
# Integration tests find their servers through the environment variables
# INVENTORY_TEST_CQL_HOST/PORT and INVENTORY_TEST_REDIS_HOST/PORT.
function(inventory_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT 600)
  if("unit" IN_LIST T_LABELS)
    set_property(GLOBAL APPEND PROPERTY INVENTORY_UNIT_TESTS ${T_NAME})
  endif()
endfunction()

# After every test is declared: target `unit_tests` builds exactly the pure
# tests (the sanitizer build needs nothing else).
function(inventory_unit_tests_target)
  get_property(tests GLOBAL PROPERTY INVENTORY_UNIT_TESTS)
  add_custom_target(unit_tests DEPENDS ${tests})
endfunction()
