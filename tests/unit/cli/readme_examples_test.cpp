// README.md's example commands, run (issue 18): each command below is quoted from the README word for
// word (the test fails when the README no longer has it), its placeholders (MODEL.onnx, photos/, x.npy,
// out/, ...) replaced with the bundled classifier, its samples and scratch files, and run from the
// source root; it must exit 0. The demo's output block is compared line by line with a real run.
// Left out: commands that need models or files the repository does not have (r3d_18.onnx, ssd.onnx,
// clip.mp4, a camera), the export of torchvision models (minutes), conformance (libonnx-testdata) and
// bench runs beyond one (3 s each).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "cli_test_util.hpp"
#include "edgeinfer/tensor.hpp"
#include "ir/npy.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

const std::string kRoot = EDGEINFER_SOURCE_DIR;

std::string readme() {
    std::ifstream in(kRoot + "/README.md");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// `edgeinfer ARGS` from the source root (README paths are relative to it), stdout and stderr together.
cli_test::CliRun run_from_root(const std::string& args) {
    const std::string command = "cd '" + kRoot + "' && '" + EDGEINFER_BINARY + "' " + args + " 2>&1";
    FILE* p = popen(command.c_str(), "r");
    cli_test::CliRun r{-1, {}};
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

class ReadmeExamples : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("edgeinfer_readme_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        Tensor x = Tensor::allocate(DataType::kFloat32, {1, 3, 32, 32});  // the classifier's input
        for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = static_cast<float>(i % 13) / 13.0f;
        ASSERT_TRUE(ir::write_npy((dir_ / "x.npy").string(), x).is_ok());
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string scratch(const std::string& name) const { return (dir_ / name).string(); }

    // Whether README has the line "./build/edgeinfer EXAMPLE", alone or before a # comment.
    bool readme_has(const std::string& example) const {
        const std::string quoted = "./build/edgeinfer " + example;
        for (size_t at = readme_.find(quoted); at != std::string::npos; at = readme_.find(quoted, at + 1)) {
            const size_t after = at + quoted.size();
            const std::string rest = readme_.substr(after, readme_.find('\n', after) - after);
            const size_t text = rest.find_first_not_of(' ');
            if (text == std::string::npos || (rest[text] == '#' && text > 0)) return true;
        }
        return false;
    }

    // Checks that README shows `example`, then runs it with `substitutions`.
    cli_test::CliRun run_example(const std::string& example,
                                 const std::vector<std::pair<std::string, std::string>>& substitutions) {
        EXPECT_TRUE(readme_has(example)) << "README.md no longer shows `./build/edgeinfer " << example
                                         << "`: update this test with it";
        std::string args = example;
        for (const auto& [from, to] : substitutions) args = replace_all(args, from, to);
        cli_test::CliRun r = run_from_root(args);
        EXPECT_EQ(r.code, 0) << "README example `" << example << "` ran as `" << args << "`:\n" << r.out;
        return r;
    }

    const std::string readme_ = readme();
    fs::path dir_;
};

TEST_F(ReadmeExamples, DemoOutputIsWhatTheReadmeShows) {
    const std::string command = "classify models/shapes.onnx models/samples --top 2 -t 1";
    ASSERT_NE(readme_.find("`edgeinfer " + command + "`"), std::string::npos);
    std::string demo;
    {
        std::ifstream in(kRoot + "/scripts/demo");
        std::ostringstream s;
        s << in.rdbuf();
        demo = s.str();
    }
    EXPECT_NE(demo.find("./build/edgeinfer " + command), std::string::npos) << "scripts/demo runs another command";
    cli_test::CliRun r = run_from_root(command);
    ASSERT_EQ(r.code, 0) << r.out;
    // The README's output block: the lines after "Its output, after the build:" up to the closing fence.
    const size_t start = readme_.find("```\n", readme_.find("Its output, after the build:"));
    ASSERT_NE(start, std::string::npos);
    const size_t end = readme_.find("```", start + 4);
    std::istringstream block(readme_.substr(start + 4, end - start - 4));
    int compared = 0, results = 0;
    for (std::string line; std::getline(block, line);) {
        if (line == "..." || line.empty()) continue;
        if (line.find(" ms)") != std::string::npos) {  // a result line: the same frame, the same two classes
            ++results;
            const std::string head = line.substr(0, line.find("  ("));
            const std::string frame = head.substr(0, head.find(": "));
            std::istringstream out(r.out);
            std::string got;
            for (std::string l; std::getline(out, l);)
                if (l.rfind(frame + ": ", 0) == 0) got = l.substr(0, l.find("  ("));
            // Scores printed with three decimals may differ in the last digit between CPUs: compare the classes.
            auto classes = [](const std::string& text) {
                std::string out;
                std::istringstream words(text.substr(text.find(": ") + 2));
                for (std::string w; words >> w;)
                    if (!w.empty() && !std::isdigit(static_cast<unsigned char>(w[0]))) out += w + " ";
                return out;
            };
            EXPECT_FALSE(got.empty()) << frame << " missing from:\n" << r.out;
            if (!got.empty()) {
                EXPECT_EQ(classes(got), classes(head)) << "README: " << line << "\nran:    " << got;
            }
            continue;
        }
        if (line.find(" frames in ") != std::string::npos) continue;  // timings
        ++compared;
        EXPECT_NE(r.out.find(line + "\n"), std::string::npos)
            << "README shows\n  " << line << "\nbut the demo printed\n"
            << r.out;
    }
    EXPECT_GE(compared, 5);
    EXPECT_GE(results, 4);
}

TEST_F(ReadmeExamples, ModelCommands) {
    const std::pair<std::string, std::string> model{"MODEL.onnx", "models/shapes.onnx"};
    run_example("inspect MODEL.onnx", {model});
    run_example("inspect MODEL.onnx --json", {model});
    run_example("inspect MODEL.onnx --check", {model});
    run_example("run MODEL.onnx", {model});
    auto r = run_example("run MODEL.onnx -i input=x.npy -o out/",
                         {model, {"x.npy", scratch("x.npy")}, {"out/", scratch("out") + "/"}});
    EXPECT_TRUE(fs::exists(dir_ / "out")) << r.out;
    run_example("optimize in.onnx out.onnx", {{"in.onnx", "models/shapes.onnx"}, {"out.onnx", scratch("o.onnx")}});
    run_example("compare a.onnx b.onnx", {{"a.onnx", "models/shapes.onnx"}, {"b.onnx", scratch("o.onnx")}});
    r = run_example("bench MODEL.onnx -i input=x.npy --json", {model, {"x.npy", scratch("x.npy")}});
    const auto bench = nlohmann::json::parse(r.out.substr(std::min(r.out.find('{'), r.out.size())), nullptr, false);
    ASSERT_FALSE(bench.is_discarded()) << r.out;
    EXPECT_EQ(bench["inputs"][0]["source"], "file") << r.out;
    const std::pair<std::string, std::string> fp32{"model.onnx", "models/shapes.onnx"};
    const std::pair<std::string, std::string> engine{"model.engine", scratch("m.engine")};
    run_example("run model.onnx --save-engine model.engine", {fp32, engine});
    run_example("run model.onnx --load-engine model.engine", {fp32, engine});
    const std::pair<std::string, std::string> int8{"model.int8.onnx", scratch("q.onnx")};
    run_example("quantize model.onnx model.int8.onnx --calib calib_dir/ --per-channel",
                {fp32, int8, {"calib_dir/", "models/samples/"}});
    run_example("compare model.onnx --precision int8 --quantized model.int8.onnx --inputs images/",
                {fp32, int8, {"images/", "models/samples/"}});
}

TEST_F(ReadmeExamples, ClassifyAndFrames) {
    auto r = run_example("classify MODEL.onnx photos/ --top 3",
                         {{"MODEL.onnx", "models/shapes.onnx"}, {"photos/", "models/samples/"}});
    EXPECT_NE(r.out.find("18 frames in"), std::string::npos) << r.out;
    if (std::system("gst-inspect-1.0 videotestsrc > /dev/null 2>&1") == 0) {
        r = run_example("frames \"gst:videotestsrc num-buffers=30 ! videoconvert ! appsink\"", {});
        EXPECT_NE(r.out.find("30 frames in"), std::string::npos) << r.out;
    }
    // The camera server on its default port, as the README starts it (skipped when 8089 is taken).
    EXPECT_TRUE(readme_has("camera-server --source pattern:640x480"));
    cli_test::Child server({"camera-server", "--source", "pattern:640x480"});
    const std::string line = server.read_line(15000);
    if (line != "listening on tcp://127.0.0.1:8089") GTEST_SKIP() << "port 8089 in use: " << line << server.err();
    r = run_example("frames tcp://127.0.0.1:8089 -l 10", {});
    EXPECT_NE(r.out.find("10 frames in"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgeinfer
