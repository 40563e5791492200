// libFuzzer target: arbitrary bytes as a pipeline config (docs/pipeline.md): the JSON reader with its
// depth, duplicate-key and number-range checks, then the config parser, must give a Status or a config,
// never a crash. Relative paths resolve against a folder that does not exist, so nothing is opened.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pipeline/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace edgeinfer::pipeline;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto doc = parse_config_text(text, "fuzz.json");
    if (!doc.is_ok()) return 0;
    ConfigOptions options;
    options.events_to_callback = (size % 2) == 0;
    auto config = parse_pipeline_config(doc.value(), "/nonexistent-edgeinfer-fuzz", options);
    (void)config;
    return 0;
}
