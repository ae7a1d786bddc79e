# spider-load: the load and soak tool (tools/load/, docs/load.md), and the
# 90-second soak that runs with the tests. Included by CMakeLists.txt.

# The pure parts: the parsers of the server's bytes (WebSocket frame headers,
# HTTP response heads, JSON field scans, Prometheus text, OTLP answers) and the
# encoders of what the tool sends (protobuf writer, OTLP requests, StatsD
# datagrams). libc and spider_core only, so the unit tests
# tests/unit/test_load_*.c and the fuzz targets fuzz/fuzz_{wsframe,httpresp,scan}.c
# link them alone.
set(SPIDER_LOAD_PARSER_SOURCES ${CMAKE_SOURCE_DIR}/tools/load/wsframe.c
    ${CMAKE_SOURCE_DIR}/tools/load/httpresp.c ${CMAKE_SOURCE_DIR}/tools/load/scan.c
    ${CMAKE_SOURCE_DIR}/tools/load/promtext.c ${CMAKE_SOURCE_DIR}/tools/load/pbwrite.c
    ${CMAKE_SOURCE_DIR}/tools/load/otlp.c ${CMAKE_SOURCE_DIR}/tools/load/sdgen.c)
add_library(spider_load_parsers STATIC ${SPIDER_LOAD_PARSER_SOURCES})
# spider_core for core/error.h, core/slice.h and core/buf.h.
target_include_directories(spider_load_parsers PUBLIC ${CMAKE_SOURCE_DIR}/tools/load)
target_link_libraries(spider_load_parsers PUBLIC spider_core)

file(GLOB SPIDER_LOAD_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tools/load/*.c)
list(REMOVE_ITEM SPIDER_LOAD_SOURCES ${SPIDER_LOAD_PARSER_SOURCES})
add_executable(spider-load ${SPIDER_LOAD_SOURCES})
# spider_core for units (the same size/duration syntax as the server), buf,
# xmalloc; it also brings libm.
# Threads for the StatsD sender (sdsend.c).
find_package(Threads REQUIRED)
target_link_libraries(spider-load PRIVATE spider_load_parsers spider_core Threads::Threads)

# The unit test, corpus replays and libFuzzer targets of those parsers are
# created by the loops of CMakeLists.txt (which link spider_core only); this
# file is included after them, so it adds the parsers here.
file(GLOB SPIDER_LOAD_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_load_*.c)
# bench_statsd feeds the server's StatsD path with sdgen's datagrams.
set(SPIDER_LOAD_PARSER_USERS replay_wsframe replay_httpresp replay_scan fuzz_wsframe fuzz_httpresp
    fuzz_scan bench_statsd)
foreach(test_source ${SPIDER_LOAD_UNIT_TESTS})
  get_filename_component(test_name ${test_source} NAME_WE)
  list(APPEND SPIDER_LOAD_PARSER_USERS ${test_name})
endforeach()
foreach(parser_target ${SPIDER_LOAD_PARSER_USERS})
  if(TARGET ${parser_target})
    target_link_libraries(${parser_target} PRIVATE spider_load_parsers)
  endif()
endforeach()

# The OTLP request encoder checked by the OpenTelemetry JS SDK's own protobuf
# reader and serializer (node_modules, see tools/load/otlp_check.mjs).
find_program(NODE node REQUIRED)
add_test(NAME load/otlp_encoding
         COMMAND ${NODE} ${CMAKE_SOURCE_DIR}/tools/load/otlp_check.mjs $<TARGET_FILE:spider-load>)

# The StatsD and OTLP modes end to end against the script's own receivers
# (which serve the /metrics counters the server's receivers will): ~5 s.
add_test(NAME load/modes
         COMMAND ${NODE} ${CMAKE_SOURCE_DIR}/tools/load/modes_check.mjs $<TARGET_FILE:spider-load>)
set_tests_properties(load/modes PROPERTIES TIMEOUT 60)

# The soak scenario for 90 s: the real server on a free loopback port with
# an explicit configuration; tools/load/soak.sh says which check failed.
# Serial: it loads both cores, and timing checks need them.
add_test(NAME soak/short
         COMMAND bash ${CMAKE_SOURCE_DIR}/tools/load/soak.sh ${CMAKE_BINARY_DIR} 90)
# In the sanitizer build the RSS checks are off (see soak.sh); the rest holds.
set_tests_properties(soak/short PROPERTIES TIMEOUT 240 RUN_SERIAL TRUE
                     ENVIRONMENT "SOAK_SANITIZED=$<BOOL:${SPIDER_SANITIZE}>")
