# spider-load: the load and soak tool (tools/load/, docs/load.md), and the
# 90-second soak that runs with the tests. Included by CMakeLists.txt.
file(GLOB SPIDER_LOAD_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tools/load/*.c)
add_executable(spider-load ${SPIDER_LOAD_SOURCES})
# spider_core for units (the same size/duration syntax as the server), buf,
# xmalloc; it also brings libm.
target_link_libraries(spider-load PRIVATE spider_core)

# The soak scenario for 90 s: the real server on a free loopback port with
# an explicit configuration; tools/load/soak.sh says which check failed.
# Serial: it loads both cores, and timing checks need them.
add_test(NAME soak/short
         COMMAND bash ${CMAKE_SOURCE_DIR}/tools/load/soak.sh ${CMAKE_BINARY_DIR} 90)
# In the sanitizer build the RSS checks are off (see soak.sh); the rest holds.
set_tests_properties(soak/short PROPERTIES TIMEOUT 240 RUN_SERIAL TRUE
                     ENVIRONMENT "SOAK_SANITIZED=$<BOOL:${SPIDER_SANITIZE}>")
