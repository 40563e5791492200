# CMake toolchain file: arm64 (aarch64-linux-gnu) with Debian's cross compiler and a Debian arm64
# sysroot (scripts/cross-arm64 makes one with mmdebstrap and passes EDGEINFER_ARM64_SYSROOT).
#
#   cmake -S . -B build-arm64/build -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DEDGEINFER_ARM64_SYSROOT=$PWD/build-arm64/sysroot
#
# Programs built here run on the build machine through qemu-aarch64-static -L <sysroot>
# (CMAKE_CROSSCOMPILING_EMULATOR, used by add_test and try_run); build tools (protoc, Python) are
# the build machine's own.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(EDGEINFER_ARM64_SYSROOT "$ENV{EDGEINFER_ARM64_SYSROOT}" CACHE PATH "Debian arm64 sysroot")
if(NOT EDGEINFER_ARM64_SYSROOT OR NOT EXISTS "${EDGEINFER_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
    message(FATAL_ERROR "EDGEINFER_ARM64_SYSROOT ('${EDGEINFER_ARM64_SYSROOT}') is not an arm64 sysroot: "
                        "run scripts/cross-arm64, which makes one")
endif()
# try_compile projects get the same sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EDGEINFER_ARM64_SYSROOT)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_SYSROOT "${EDGEINFER_ARM64_SYSROOT}")
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Libraries, headers and package config files only from the sysroot; programs from the build machine.
set(CMAKE_FIND_ROOT_PATH "${EDGEINFER_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the sysroot's .pc files and prefixes their paths with the sysroot.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${EDGEINFER_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${EDGEINFER_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${EDGEINFER_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# The linker follows the sysroot's shared libraries' own dependencies there.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${EDGEINFER_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${EDGEINFER_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")

# protoc (Protobuf's generator) must be the build machine's: same protobuf version (both Debian's).
set(Protobuf_PROTOC_EXECUTABLE /usr/bin/protoc CACHE FILEPATH "protoc of the build machine")
# So must gRPC's C++ code generator (the sysroot's gRPC package names its own, an arm64 program).
set(EDGEINFER_GRPC_CPP_PLUGIN /usr/bin/grpc_cpp_plugin CACHE FILEPATH "grpc_cpp_plugin of the build machine")

find_program(EDGEINFER_QEMU_AARCH64 qemu-aarch64-static)
if(EDGEINFER_QEMU_AARCH64)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${EDGEINFER_QEMU_AARCH64};-L;${EDGEINFER_ARM64_SYSROOT}")
endif()
