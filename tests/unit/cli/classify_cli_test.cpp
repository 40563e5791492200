// `edgeinfer classify` and `edgeinfer video` run as users run them: the bundled shapes classifier on
// its own samples (every answer checked), labels and flags, a fixed-batch model, a live camera
// server, the rate cap, --json, --save (images and video), SIGINT, and clips of a known video.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <regex>
#include <set>

#include "child_process.hpp"
#include "cli_test_util.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::Child;
using cli_test::json_lines;
using cli_test::run_cli;
using testing::TempDir;

const std::string kModel = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.onnx";
const std::string kSamples = std::string(EDGEINFER_SOURCE_DIR) + "/models/samples";
const std::string kFixtures = EDGEINFER_CLASSIFY_MODELS;

// "models/samples/star_2.png" → "star".
std::string expected_label(const std::string& source) {
    std::string stem = fs::path(source).stem().string();
    return stem.substr(0, stem.rfind('_'));
}

size_t sample_count() {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(kSamples)) n += e.is_regular_file();
    return n;
}

// Every sample classified as the class its file is named after (by index: a model without a sidecar
// has no labels); returns the number correct.
size_t check_samples(const std::vector<nlohmann::json>& lines) {
    const std::vector<std::string> classes{"circle", "square", "triangle", "star", "cross", "ring"};
    size_t correct = 0;
    for (const auto& j : lines) {
        std::string want = expected_label(j["source"].get<std::string>());
        const auto index = std::find(classes.begin(), classes.end(), want) - classes.begin();
        EXPECT_EQ(j["results"][0]["class"], index) << want << ": " << j.dump();
        if (j["results"][0].contains("label")) {
            EXPECT_EQ(j["results"][0]["label"], want) << j.dump();
        }
        correct += j["results"][0]["class"] == index;
    }
    return correct;
}

TEST(ClassifyCli, BundledModelGetsEverySampleRight) {
    auto r = run_cli("classify " + kModel + " " + kSamples + " --json --top 3 -t 1");
    ASSERT_EQ(r.code, 0) << r.out;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), sample_count()) << r.out;
    ASSERT_GE(lines.size(), 12u);
    EXPECT_EQ(check_samples(lines), lines.size()) << "accuracy below 100% on the bundled samples";
    std::set<std::string> labels;
    for (const auto& j : lines) {
        ASSERT_EQ(j["results"].size(), 3u);
        double sum = 0;
        for (const auto& c : j["results"]) sum += c["score"].get<double>();
        EXPECT_LE(sum, 1.0 + 1e-6);  // softmax was applied to the logits
        EXPECT_GT(j["results"][0]["score"].get<double>(), j["results"][1]["score"].get<double>());
        for (const char* k : {"pre", "infer", "post"}) EXPECT_GE(j["latency_ms"][k].get<double>(), 0.0);
        EXPECT_GT(j["timestamp_us"].get<int64_t>(), 0);
        labels.insert(j["results"][0]["label"].get<std::string>());
    }
    EXPECT_EQ(labels.size(), 6u);  // every class is among the samples
}

TEST(ClassifyCli, TextOutputNamesSidecarAndSummary) {
    auto r = run_cli("classify " + kModel + " " + kSamples + "/star_1.jpg -t 1");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("preprocess: stretch 32x32 area, RGB, NCHW, scale 1/255"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("(sidecar " + std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.json)"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("star_1.jpg: star "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 frames in"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("latency ms p50/p95: pre"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("top-1 counts: star 1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("device cpu"), std::string::npos) << r.out;
    auto c = run_cli("classify -c " + kModel + " " + kSamples + "/star_1.jpg -t 1");
    EXPECT_NE(c.out.find("device cpu (--force-cpu)"), std::string::npos) << c.out;
}

TEST(ClassifyCli, LabelsFileReplacesTheSidecarLabels) {
    TempDir dir;
    std::ofstream(dir / "upper.txt") << "CIRCLE\nSQUARE\nTRIANGLE\nSTAR\nCROSS\nRING\n";
    auto r =
        run_cli("classify " + kModel + " " + kSamples + "/star_1.jpg --json --top 1 --labels " + (dir / "upper.txt"));
    ASSERT_EQ(r.code, 0) << r.out;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["results"][0]["label"], "STAR");
    EXPECT_EQ(lines[0]["results"][0]["class"], 3);
}

TEST(ClassifyCli, FixedBatchModelBatchesFramesWithSameAnswers) {
    auto r = run_cli("classify " + kFixtures + "/shapes_b4.onnx " + kSamples + " --json --top 1 -t 1");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("input 'input' 4x3x32x32 float32, batch 4"), std::string::npos) << r.out;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), sample_count()) << r.out;  // partial last batch padded, padding not reported
    EXPECT_EQ(check_samples(lines), lines.size());
    auto limited = json_lines(run_cli("classify " + kFixtures + "/shapes_b4.onnx " + kSamples + " --json -l 5").out);
    EXPECT_EQ(limited.size(), 5u);
}

TEST(ClassifyCli, DefaultsWithoutSidecarAndFlagsThatReproduceIt) {
    const std::string model = kFixtures + "/shapes_nosidecar.onnx";
    auto d = run_cli("classify " + model + " " + kSamples + " --json -t 1");
    ASSERT_EQ(d.code, 0) << d.out;
    EXPECT_NE(d.out.find("mean [0.485,0.456,0.406], std [0.229,0.224,0.225] (defaults: no sidecar, no flags)"),
              std::string::npos)
        << d.out;
    auto f =
        run_cli("classify " + model + " " + kSamples + " --json -t 1 --mean 0.5 --std 0.25 --interp area --size 32x32");
    ASSERT_EQ(f.code, 0) << f.out;
    EXPECT_NE(f.out.find("(flags and defaults)"), std::string::npos) << f.out;
    auto lines = json_lines(f.out);
    ASSERT_EQ(lines.size(), sample_count());
    EXPECT_EQ(check_samples(lines), lines.size());
}

TEST(ClassifyCli, AgainstALiveCameraServer) {
    Child server({"camera-server", "--source", "pattern:320x240", "-p", "0"});
    std::string endpoint = cli_test::endpoint_of(server.read_line(15000));
    ASSERT_FALSE(endpoint.empty()) << server.err();
    auto r = run_cli("classify " + kModel + " " + endpoint + " -l 5 --json -t 1");
    ASSERT_EQ(r.code, 0) << r.out << server.err();
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 5u) << r.out;
    for (size_t i = 0; i < lines.size(); ++i) {
        EXPECT_EQ(lines[i]["source"], endpoint);
        EXPECT_EQ(lines[i]["results"].size(), 5u);
        if (i) {
            EXPECT_GT(lines[i]["seq"].get<uint64_t>(), lines[i - 1]["seq"].get<uint64_t>());
        }
    }
    auto text = run_cli("classify " + kModel + " " + endpoint + " -l 2");
    EXPECT_EQ(text.code, 0) << text.out;
    // Each result line names the frame: the server's sequence number after the URL, rising.
    std::vector<uint64_t> seqs;
    const std::regex result_line("(^|\n)" + std::regex_replace(endpoint, std::regex(R"([.])"), R"(\.)") +
                                 R"(#(\d+): )");
    for (auto it = std::sregex_iterator(text.out.begin(), text.out.end(), result_line); it != std::sregex_iterator();
         ++it)
        seqs.push_back(std::stoull((*it)[2]));
    ASSERT_EQ(seqs.size(), 2u) << text.out;
    EXPECT_GT(seqs[1], seqs[0]) << text.out;
    EXPECT_NE(text.out.find("source: camera server " + endpoint), std::string::npos) << text.out;
}

TEST(ClassifyCli, RidesOutACameraServerRestart) {
    auto server =
        std::make_unique<Child>(std::vector<std::string>{"camera-server", "--source", "pattern:64x48", "-p", "0"});
    std::string endpoint = cli_test::endpoint_of(server->read_line(15000));
    ASSERT_FALSE(endpoint.empty()) << server->err();
    const std::string port = endpoint.substr(endpoint.rfind(':') + 1);
    // 300 ms per request (x30 under emulation, where the restarted server itself takes seconds to answer).
    const std::string query = "?timeout_ms=" + std::to_string(Child::scaled(300)) + "&retries=0";
    Child classify({"classify", kModel, endpoint + query, "-r", "10", "-t", "1", "-l", "30"});
    int results = 0;
    for (int i = 0; i < 10 && results < 3; ++i) results += classify.read_line(15000).rfind(endpoint + "#", 0) == 0;
    ASSERT_EQ(results, 3) << classify.err();
    server.reset();  // gone (SIGKILL) ...
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    Child again({"camera-server", "--source", "pattern:64x48", "-p", port});  // ... and back on the same port
    ASSERT_EQ(again.read_line(15000), "listening on " + endpoint) << again.err();
    EXPECT_EQ(classify.wait(30000), 0) << classify.err();
    const std::string err = classify.err();
    // The client noticed the loss and retried; under emulation the longer request timeout can outlast the
    // restart, and then the client notices it by the server's sequence numbers starting anew instead.
    const bool retried = err.find("retrying in 0.5 s (1/3)") != std::string::npos;
    const bool saw_restart = std::getenv("EDGEINFER_EMULATED") && err.find("the server restarted") != std::string::npos;
    EXPECT_TRUE(retried || saw_restart) << err;
    EXPECT_NE(classify.rest_of_output().find("30 frames in"), std::string::npos);
}

TEST(ClassifyCli, RateCapWithinTenPercentOver50Frames) {
    if (std::getenv("EDGEINFER_EMULATED")) GTEST_SKIP() << "a rate under emulation (qemu) says nothing about the cap";
    auto r = run_cli("classify " + kModel + " pattern:64x48 -l 50 -r 25 --json -t 1");
    ASSERT_EQ(r.code, 0) << r.out;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 50u);
    const double seconds =
        (lines.back()["timestamp_us"].get<int64_t>() - lines.front()["timestamp_us"].get<int64_t>()) / 1e6;
    const double rate = 49 / seconds;
    EXPECT_NEAR(rate, 25.0, 2.5) << "49 intervals in " << seconds << " s";
}

TEST(ClassifyCli, SaveWritesAnnotatedImages) {
    TempDir dir;
    auto r = run_cli("classify " + kModel + " " + kSamples + " --save " + (dir / "out") + " -t 1");
    ASSERT_EQ(r.code, 0) << r.out;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / "out")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files.size(), sample_count());
    EXPECT_EQ(files[0].filename(), "frame_000000.jpg");
    // The first sample (circle_1.jpg): same size, a dark banner on top, the rest as it was.
    cv::Mat original = cv::imread(kSamples + "/circle_1.jpg");
    cv::Mat saved = cv::imread(files[0].string());
    ASSERT_FALSE(saved.empty());
    ASSERT_EQ(saved.size(), original.size());
    cv::Mat top_diff, bottom_diff;
    cv::absdiff(saved(cv::Rect(0, 0, saved.cols, 8)), original(cv::Rect(0, 0, saved.cols, 8)), top_diff);
    const cv::Rect bottom(0, saved.rows / 2, saved.cols, saved.rows - saved.rows / 2);
    cv::absdiff(saved(bottom), original(bottom), bottom_diff);
    EXPECT_GT(cv::mean(top_diff)[0], 20.0);
    EXPECT_LT(cv::mean(bottom_diff)[0], 4.0);
    EXPECT_NE(r.out.find("-> " + (dir / "out") + "/frame_000000.jpg"), std::string::npos) << r.out;
}

TEST(ClassifyCli, SaveWritesAnAnnotatedVideo) {
    TempDir dir;
    for (const std::string name : {"out.avi", "out.mp4"}) {  // MJPG and MPEG-4 part 2 through FFmpeg
        auto r = run_cli("classify " + kModel + " pattern:96x64 -l 12 -t 1 --save " + (dir / name));
        ASSERT_EQ(r.code, 0) << r.out;
        cv::VideoCapture video(dir / name);
        ASSERT_TRUE(video.isOpened()) << name;
        int frames = 0;
        cv::Mat f;
        while (video.read(f)) {
            EXPECT_EQ(f.cols, 96);
            ++frames;
        }
        EXPECT_EQ(frames, 12) << name;
    }
}

TEST(ClassifyCli, InterruptPrintsTheSummary) {
    Child c({"classify", kModel, "pattern:64x48", "-r", "20", "-t", "1"});
    std::string line;
    for (int i = 0; i < 5 && line.find("pattern:64x48#") == std::string::npos; ++i) line = c.read_line(15000);
    ASSERT_TRUE(std::regex_search(line, std::regex(R"(^pattern:64x48#\d+: )"))) << line << c.err();
    c.signal(SIGINT);
    EXPECT_EQ(c.wait(5000), 130);
    EXPECT_NE(c.rest_of_output().find(" frames in "), std::string::npos);
    EXPECT_NE(c.err().find("interrupted"), std::string::npos) << c.err();
}

TEST(ClassifyCli, ProgressLineOnATerminalOnly) {
    if (std::system("command -v script > /dev/null 2>&1") != 0) GTEST_SKIP() << "util-linux `script` not installed";
    TempDir dir;
    // `script` gives the program a terminal on stderr; stdout goes to a file.
    const std::string cmd = std::string(EDGEINFER_BINARY) + " classify " + kModel +
                            " pattern:64x48 -l 30 -r 30 -t 1 > " + (dir / "out.txt");
    FILE* p = popen(("script -qec '" + cmd + "' /dev/null").c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string tty;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) tty.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << tty;
    EXPECT_NE(tty.find("\r\033[K"), std::string::npos) << tty;
    EXPECT_NE(tty.find(" frames | "), std::string::npos) << tty;
    EXPECT_NE(tty.find(" fps | infer p50 "), std::string::npos) << tty;
    std::ifstream in(dir / "out.txt");
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(out.find(" frames | "), std::string::npos) << "progress must not reach stdout";
    EXPECT_NE(out.find("30 frames in"), std::string::npos) << out;
    // Without a terminal (the other tests) there is no progress line at all.
    auto plain = run_cli("classify " + kModel + " pattern:64x48 -l 5 -t 1");
    EXPECT_EQ(plain.out.find(" frames | "), std::string::npos) << plain.out;
}

// 8 frames growing brighter, 8 growing darker, then 2 more: T=4 clips.
std::string write_trend_video(const TempDir& dir) {
    std::string path = dir / "trend.avi";
    cv::VideoWriter w(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, cv::Size(64, 48));
    EXPECT_TRUE(w.isOpened());
    for (int k = 0; k < 18; ++k) {
        int level = k < 8 ? 40 + 20 * k : 180 - 20 * (k - 8);
        w.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar(level, level, level)));
    }
    return path;
}

TEST(VideoCli, ClipsOfTFramesWithStride) {
    TempDir dir;
    std::string video = write_trend_video(dir);
    auto r = run_cli("video " + kFixtures + "/trend.onnx " + video + " --json --top 1 -t 1");
    ASSERT_EQ(r.code, 0) << r.out;  // the video ends: normal end
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 4u) << r.out;  // frames 16 and 17 do not fill a clip
    const char* want[] = {"brightening", "brightening", "darkening", "darkening"};
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(lines[i]["results"][0]["label"], want[i]) << lines[i].dump();
        EXPECT_EQ(lines[i]["clip"][0], 4 * i);
        EXPECT_EQ(lines[i]["clip"][1], 4 * i + 3);
        EXPECT_EQ(lines[i]["seq"], 4 * i + 3);
    }
    auto strided = json_lines(run_cli("video " + kFixtures + "/trend.onnx " + video + " --json --stride 2 -t 1").out);
    ASSERT_EQ(strided.size(), 8u);  // clips ending at frames 3, 5, ..., 17
    EXPECT_EQ(strided[1]["clip"][0], 2);
    EXPECT_EQ(strided[1]["clip"][1], 5);
    EXPECT_EQ(strided[3]["results"][0]["label"], "steady");  // frames 6..9: levels 160, 180, 180, 160
    EXPECT_EQ(strided[4]["results"][0]["label"], "darkening");
    auto text = run_cli("video " + kFixtures + "/trend.onnx " + video + " -l 1");
    EXPECT_EQ(text.code, 0);
    EXPECT_NE(text.out.find("[clip 0-3]: brightening"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("clips of 4 frames every 4"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("1 clips (4 frames)"), std::string::npos) << text.out;
}

TEST(VideoCli, ClassifyReadsVideoFilesToTheEnd) {
    TempDir dir;
    std::string video = write_trend_video(dir);
    auto r = run_cli("classify " + kModel + " " + video + " --json -t 1");
    ASSERT_EQ(r.code, 0) << r.out;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 18u);
    EXPECT_EQ(lines[17]["source"], video + "#17");
}

}  // namespace
}  // namespace edgeinfer
