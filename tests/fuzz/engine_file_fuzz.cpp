// libFuzzer target: arbitrary bytes into the engine file decoder, as a whole file and as the payload of
// an otherwise well-formed file (checksum not verified), must give a Status or an engine, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/engine_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace edgeinfer::runtime;
    auto whole = decode_engine(data, size, "fuzz", (size % 2) == 0);
    (void)whole;
    // The same bytes as a payload: header of one field, payload size, payload, 32-byte checksum.
    EngineFile empty;
    empty.header = {{"k", "v"}};
    std::string file = encode_engine(empty);
    std::string prefix = file.substr(0, 8 + 4 + 4 + 4 + 1 + 4 + 1);  // magic, version, count, "k", "v"
    for (int i = 0; i < 8; ++i) prefix.push_back(static_cast<char>((static_cast<uint64_t>(size) >> (8 * i)) & 0xff));
    prefix.append(reinterpret_cast<const char*>(data), size);
    prefix.append(32, '\0');
    auto payload = decode_engine(prefix.data(), prefix.size(), "fuzz", false);
    (void)payload;
    return 0;
}
