# Builds examples/rust_classify with cargo (offline, std only) against the installed package, classifies
# the bundled samples and checks that each file's top-1 label is the class its name starts with.
# Usage: cmake -DCARGO=... -DPREFIX=... -DLIBDIR=lib -DSOURCE_DIR=... -DTARGET_DIR=... -P rust_classify.cmake
if(NOT CARGO OR NOT EXISTS "${CARGO}")
    message("cargo not found: the Rust example is skipped (install Rust, or put cargo on PATH and reconfigure; "
        "sanitized builds skip it too)")
    return()
endif()
set(example "${SOURCE_DIR}/examples/rust_classify")
execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${PREFIX}/${LIBDIR}/pkgconfig" "CARGO_TARGET_DIR=${TARGET_DIR}"
            "${CARGO}" build --offline --release --manifest-path "${example}/Cargo.toml"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cargo build failed (${rc}):\n${out}\n${err}")
endif()

set(samples "${SOURCE_DIR}/models/samples")
file(GLOB files RELATIVE "${samples}" "${samples}/*.jpg" "${samples}/*.png")
list(LENGTH files expected_count)
execute_process(COMMAND "${TARGET_DIR}/release/rust_classify" "${SOURCE_DIR}/models/shapes.onnx" "${samples}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "rust_classify exited with ${rc}:\n${err}")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(checked 0)
foreach(line IN LISTS lines)
    if(line STREQUAL "")
        continue()
    endif()
    if(NOT line MATCHES "^(([a-z]+)_[^:]*): ([a-z]+) ([0-9.]+) \\(class [0-9]+\\)$")
        message(FATAL_ERROR "unexpected line: '${line}'")
    endif()
    if(NOT CMAKE_MATCH_2 STREQUAL CMAKE_MATCH_3)
        message(FATAL_ERROR "${CMAKE_MATCH_1}: top-1 is '${CMAKE_MATCH_3}', its name says '${CMAKE_MATCH_2}'")
    endif()
    math(EXPR checked "${checked} + 1")
endforeach()
if(NOT checked EQUAL expected_count)
    message(FATAL_ERROR "${checked} images classified, ${expected_count} in ${samples}")
endif()
message("all ${checked} samples classified as their names say")
