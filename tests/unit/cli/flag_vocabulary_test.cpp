// One flag vocabulary across commands (issue 18): every command's `--help` is read and its options
// compared. A long name means one thing everywhere (it belongs to the same option, named by its
// first long name, of the same kind: flag, number or text); a short flag stands for the same long
// name everywhere; an option with a short flag has it in every command that has the option.
// camera-server keeps the short flags of the Raspberry Pi / Jetson camera servers it stands in for
// (-p port, -i ipc, -c centre): checked here as that fixed list, and only there.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.hpp"
#include "edgeinfer/precision.hpp"
#include "vision/segmentation.hpp"

namespace edgeinfer {
namespace {

using cli_test::run_cli;

struct HelpOption {
    std::vector<std::string> longs;  // "--limit", in help order (the first is the option's name)
    std::string short_flag;          // "-l" or ""
    std::string kind;                // "flag", "number" or "text"
};

std::string kind_of(const std::string& type) {
    if (type.empty()) return "flag";
    static const std::regex number(R"(^\[?(INT|UINT|FLOAT|NUMBER|INT64|DOUBLE)\b.*)");
    return std::regex_match(type, number) ? "number" : "text";
}

// The option lines of a CLI11 help text: "  -l,--limit INT   Stop after N results".
std::vector<HelpOption> parse_help(const std::string& help) {
    std::vector<HelpOption> out;
    std::istringstream in(help);
    std::string line;
    // Names, then (options only) one space and the type: "INT", "TEXT ...", "TEXT:{bf16,int8}", "INT [8089]".
    static const std::regex option_line(R"(^\s+(-[-A-Za-z0-9,]+)(?: ([^ ]+))?.*$)");
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, option_line)) continue;
        HelpOption o;
        std::stringstream names(m[1].str());
        for (std::string name; std::getline(names, name, ',');) {
            if (name.rfind("--", 0) == 0)
                o.longs.push_back(name);
            else if (name.size() == 2)
                o.short_flag = name;
        }
        if (o.longs.empty()) continue;
        o.kind = kind_of(m[2].matched ? m[2].str() : "");
        out.push_back(o);
    }
    return out;
}

std::vector<std::string> subcommands() {
    auto r = run_cli("--help");
    std::vector<std::string> names;
    std::istringstream in(r.out);
    std::string line;
    bool in_list = false;
    static const std::regex entry(R"(^\s+([a-z][a-z0-9-]*)\s{2,}.*)");
    while (std::getline(in, line)) {
        if (line.rfind("Subcommands:", 0) == 0) {
            in_list = true;
            continue;
        }
        std::smatch m;
        if (in_list && std::regex_match(line, m, entry)) names.push_back(m[1]);
    }
    return names;
}

// command -> its options; "" is the program itself. Read once (each --help starts the program).
const std::map<std::string, std::vector<HelpOption>>& all_options() {
    static std::map<std::string, std::vector<HelpOption>> out;
    if (!out.empty()) return out;
    out[""] = parse_help(run_cli("--help").out);
    for (const std::string& c : subcommands()) {
        if (c == "export") continue;  // forwards every argument to tools/export_model.py (argparse help)
        auto r = run_cli(c + " --help");
        EXPECT_EQ(r.code, 0) << c << ": " << r.out;
        out[c] = parse_help(r.out);
    }
    return out;
}

const std::map<std::string, std::string> kCameraServerShorts = {{"-p", "--port"}, {"-i", "--ipc"}, {"-c", "--centre"}};

TEST(FlagVocabulary, HelpOfEveryCommandIsRead) {
    static const auto commands = subcommands();
    for (const char* c : {"classify", "bench", "run", "compare", "camera-server", "frames", "pipeline"})
        EXPECT_NE(std::find(commands.begin(), commands.end(), c), commands.end()) << c;
    const auto& options = all_options();
    for (const auto& [command, list] : options)
        EXPECT_FALSE(list.empty()) << "no options parsed for '" << command << "'";
}

TEST(FlagVocabulary, OneMeaningPerNameAndShortFlag) {
    const auto& options = all_options();
    std::map<std::string, std::map<std::string, std::string>> name_owner;  // long name -> option name -> command
    std::map<std::string, std::map<std::string, std::string>> kinds;       // option name -> kind -> command
    std::map<std::string, std::map<std::string, std::string>> shorts;      // short -> option name -> command
    std::map<std::string, std::map<std::string, std::string>> short_of;    // option name -> short ("" none) -> command
    for (const auto& [command, list] : options) {
        for (const HelpOption& o : list) {
            const std::string& name = o.longs.front();
            for (const std::string& l : o.longs) name_owner[l][name] = command;
            kinds[name][o.kind] = command;
            if (command == "camera-server" && kCameraServerShorts.count(o.short_flag)) {
                EXPECT_EQ(kCameraServerShorts.at(o.short_flag), name) << "camera-server " << o.short_flag;
                continue;
            }
            if (!o.short_flag.empty()) shorts[o.short_flag][name] = command;
            short_of[name][o.short_flag] = command;
        }
    }
    auto listing = [](const std::map<std::string, std::string>& m) {
        std::string s;
        for (const auto& [what, command] : m) s += " " + what + " (in '" + command + "')";
        return s;
    };
    for (const auto& [name, owners] : name_owner)
        EXPECT_EQ(owners.size(), 1u) << name << " names different options:" << listing(owners);
    for (const auto& [name, seen] : kinds)
        EXPECT_EQ(seen.size(), 1u) << name << " is of different kinds:" << listing(seen);
    for (const auto& [flag, names] : shorts) EXPECT_EQ(names.size(), 1u) << flag << " stands for:" << listing(names);
    for (const auto& [name, seen] : short_of)
        EXPECT_EQ(seen.size(), 1u) << name << " has different short flags (\"\" none):" << listing(seen);
}

TEST(FlagVocabulary, TheSpellingsOfIssue18) {
    const auto& options = all_options();
    auto find = [&](const std::string& command, const std::string& name) -> const HelpOption* {
        for (const HelpOption& o : options.at(command))
            if (std::find(o.longs.begin(), o.longs.end(), name) != o.longs.end()) return &o;
        return nullptr;
    };
    ASSERT_NE(find("classify", "--force-cpu"), nullptr);
    EXPECT_EQ(find("classify", "--force-cpu")->short_flag, "-c");
    ASSERT_NE(find("bench", "--concurrency"), nullptr);
    EXPECT_EQ(find("bench", "--concurrency")->short_flag, "");
    for (const char* command : {"run", "bench", "compare"}) {
        const HelpOption* shape = find(command, "--shape");
        ASSERT_NE(shape, nullptr) << command;
        EXPECT_EQ(shape, find(command, "--shapes")) << command << ": --shapes is an alias of --shape";
        const HelpOption* input = find(command, "--input");
        ASSERT_NE(input, nullptr) << command;
        EXPECT_EQ(input->short_flag, "-i") << command;
    }
    // Old spellings still parse (the run then fails on the missing model, not on the flags).
    auto r = run_cli("bench /no/such/model.onnx --shapes x:1 --inputs x=a.npy --concurrency 1");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("/no/such/model.onnx"), std::string::npos) << r.out;
    r = run_cli("camera-server --source /no/such/video.mp4 --fps 5 -p 0");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
}

// The flags naming an enum value take the library's name table: --help lists its choices, and a name it does
// not know is refused with its message before anything runs (the digits 0..3 of an optimization level too).
TEST(FlagVocabulary, EnumFlagsTakeTheLibrarysNames) {
    struct EnumFlag {
        std::string command, choices, refusal;
    };
    const std::vector<EnumFlag> flags = {
        {"optimize /no/such/in.onnx /tmp/out.onnx --level", optimization_level_choices(),
         parse_optimization_level("max").status().message()},
        {"bench /no/such/model.onnx -O", optimization_level_choices(),
         parse_optimization_level("max").status().message()},
        {"segment /no/such/model.onnx /no/such/dir --mask-resize", vision::mask_resize_choices(),
         vision::parse_mask_resize("max").status().message()},
    };
    for (const EnumFlag& f : flags) {
        const std::string command = f.command.substr(0, f.command.find(' '));
        EXPECT_NE(run_cli(command + " --help").out.find(f.choices), std::string::npos) << command;
        auto r = run_cli(f.command + " max");
        EXPECT_NE(r.code, 0) << r.out;
        EXPECT_NE(r.out.find(f.refusal), std::string::npos) << f.command << ": " << r.out;
    }
    // A digit is a level (the run then fails on the missing model, not on the flag).
    auto r = run_cli("bench /no/such/model.onnx -O 2");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("/no/such/model.onnx"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgeinfer
