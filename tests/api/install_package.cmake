# Installs the build tree into a fresh PREFIX (cmake --install) and checks what is there: the public
# headers, libedgeinfer.so exporting the C and C++ API, the program, the CMake package and edgeinfer.pc,
# and nothing from src/; each header compiles on its own.
# Usage: cmake -DBUILD_DIR=... -DPREFIX=... -DLIBDIR=lib -DSOURCE_DIR=... [-DCXX=c++ -DCC=cc] -P install_package.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}\n${err}")
endif()

set(expected
    bin/edgeinfer
    include/edgeinfer.h
    include/edgeinfer_element.h
    ${LIBDIR}/libedgeinfer.so
    ${LIBDIR}/cmake/edgeinfer/edgeinfer-config.cmake
    ${LIBDIR}/cmake/edgeinfer/edgeinfer-config-version.cmake
    ${LIBDIR}/pkgconfig/edgeinfer.pc)
file(GLOB public_headers RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/include/edgeinfer/*.hpp")
list(APPEND expected ${public_headers})
foreach(f ${expected})
    if(NOT EXISTS "${PREFIX}/${f}")
        message(FATAL_ERROR "${PREFIX}/${f} was not installed")
    endif()
endforeach()

# Only public headers: every installed header is one of include/.
file(GLOB_RECURSE installed_headers RELATIVE "${PREFIX}" "${PREFIX}/*.h" "${PREFIX}/*.hpp")
foreach(h ${installed_headers})
    if(NOT EXISTS "${SOURCE_DIR}/${h}")
        message(FATAL_ERROR "${PREFIX}/${h} is not a public header (include/): nothing from src/ may be installed")
    endif()
endforeach()
if(EXISTS "${PREFIX}/${LIBDIR}/libedgeinfer.a")
    message(FATAL_ERROR "the static engine library was installed; the package is libedgeinfer.so")
endif()

# The shared library exports the C API and the C++ API, and not what it links in.
find_program(NM nm)
if(NM)
    execute_process(COMMAND "${NM}" -D -C --defined-only "${PREFIX}/${LIBDIR}/libedgeinfer.so"
        OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
    foreach(s "edgeinfer_session_run_into" "edgeinfer_classifier_classify" "edgeinfer::Session::create("
              "edgeinfer::Status::to_string")
        string(FIND "${symbols}" "${s}" at)
        if(at EQUAL -1)
            message(FATAL_ERROR "libedgeinfer.so does not export ${s}")
        endif()
    endforeach()
    if(symbols MATCHES "\n[0-9a-f]+ [A-Za-z] (onnx|spdlog|fmt|CLI)::")
        message(FATAL_ERROR "libedgeinfer.so exports symbols of its dependencies: ${CMAKE_MATCH_0}")
    endif()
endif()
# Each installed header compiles on its own against the prefix (C headers as C99 and C++, the rest as C++20).
function(compile_alone header)
    string(MAKE_C_IDENTIFIER "${header}" id)
    set(source "${BUILD_DIR}/api_header_check/${id}.c")
    file(WRITE "${source}" "#include \"${header}\"\n")
    execute_process(COMMAND ${ARGN} -Wall -Wextra -Werror -fsyntax-only -I "${PREFIX}/include" "${source}"
        RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "installed ${header} does not compile on its own (${ARGN}):\n${err}")
    endif()
endfunction()
if(CXX)
    file(GLOB headers RELATIVE "${PREFIX}/include" "${PREFIX}/include/*.h" "${PREFIX}/include/edgeinfer/*.hpp")
    foreach(h ${headers})
        compile_alone(${h} "${CXX}" -std=c++20 -x c++)
        if(h MATCHES "[.]h$" AND CC)
            compile_alone(${h} "${CC}" -std=c99 -pedantic -x c)
        endif()
    endforeach()
endif()
message(STATUS "installed into ${PREFIX}: ${expected}")
