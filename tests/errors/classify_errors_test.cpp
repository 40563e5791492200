// Bad input for the vision commands: unreadable and zero-byte images, folders without images, labels
// files of the wrong length, bad sidecars and flags, models that are no image models, a camera server
// that is not there or vanishes mid-run, truncated videos, an unwritable --save. Each case checks the
// documented exit code (README "Vision commands") and the words of the message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "../unit/cli/child_process.hpp"
#include "../unit/cli/cli_test_util.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::Child;
using cli_test::run_cli;
using testing::TempDir;

const std::string kModel = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.onnx";
const std::string kSamples = std::string(EDGEINFER_SOURCE_DIR) + "/models/samples";
const std::string kFixtures = EDGEINFER_CLASSIFY_MODELS;

int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

TEST(ClassifyErrors, UnreadableAndEmptyImagesAreSkippedWithAWarning) {
    TempDir dir;
    fs::copy_file(kSamples + "/star_1.jpg", dir / "a_star.jpg");
    fs::copy_file(kSamples + "/ring_2.png", dir / "b_ring.png");
    std::ofstream(dir / "c_empty.png").close();
    std::ofstream(dir / "d_garbage.jpg") << "this is not a JPEG";
    auto r = run_cli("classify " + kModel + " " + dir.path().string() + " --top 1");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("c_empty.png': empty file (0 bytes)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("d_garbage.jpg': not a decodable image"), std::string::npos) << r.out;
    EXPECT_EQ(count(r.out, "skipping"), 2) << r.out;
    EXPECT_NE(r.out.find("a_star.jpg: star"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("b_ring.png: ring"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("2 frames in"), std::string::npos) << r.out;
}

TEST(ClassifyErrors, GrayAlphaAnd16BitFilesFedToAnRgbModel) {
    TempDir dir;
    cv::Mat star = cv::imread(kSamples + "/star_3.jpg");
    ASSERT_FALSE(star.empty());
    cv::Mat deep, gray, alpha;
    star.convertTo(deep, CV_16UC3, 257.0);
    cv::cvtColor(star, gray, cv::COLOR_BGR2GRAY);
    cv::cvtColor(star, alpha, cv::COLOR_BGR2BGRA);
    ASSERT_TRUE(cv::imwrite(dir / "a_deep16.png", deep));
    ASSERT_TRUE(cv::imwrite(dir / "b_gray.png", gray));
    ASSERT_TRUE(cv::imwrite(dir / "c_alpha.png", alpha));
    auto r = run_cli("classify " + kModel + " " + dir.path().string() + " --top 1 -t 1");
    EXPECT_EQ(r.code, 0) << r.out;
    for (const char* f : {"a_deep16.png: star", "b_gray.png: star", "c_alpha.png: star"})
        EXPECT_NE(r.out.find(f), std::string::npos) << f << "\n" << r.out;
}

TEST(ClassifyErrors, FolderWithoutImagesOrOnlyBadOnes) {
    TempDir dir;
    std::ofstream(dir / "notes.txt") << "no images here";
    auto none = run_cli("classify " + kModel + " " + dir.path().string());
    EXPECT_EQ(none.code, 2) << none.out;
    EXPECT_NE(none.out.find("has no images"), std::string::npos) << none.out;
    std::ofstream(dir / "empty.jpg").close();
    auto bad = run_cli("classify " + kModel + " " + dir.path().string());
    EXPECT_EQ(bad.code, 2) << bad.out;
    EXPECT_NE(bad.out.find("none of the 1 image files could be read"), std::string::npos) << bad.out;
    auto missing = run_cli("classify " + kModel + " " + (dir / "nope"));
    EXPECT_EQ(missing.code, 2) << missing.out;
    EXPECT_NE(missing.out.find("no such file or folder"), std::string::npos) << missing.out;
}

TEST(ClassifyErrors, LabelsFileWithTheWrongLineCount) {
    TempDir dir;
    std::ofstream(dir / "four.txt") << "circle\nsquare\ntriangle\nstar\n";
    auto r = run_cli("classify " + kModel + " " + kSamples + "/ring_1.jpg --top 6 --labels " + (dir / "four.txt"));
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("4 labels but output 'logits' has 6 classes"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("#5 "), std::string::npos) << r.out;  // ring has no label in this file
    auto missing = run_cli("classify " + kModel + " " + kSamples + " --labels " + (dir / "none.txt"));
    EXPECT_EQ(missing.code, 1) << missing.out;
    EXPECT_NE(missing.out.find("labels file '" + (dir / "none.txt") + "': cannot be opened"), std::string::npos)
        << missing.out;
}

TEST(ClassifyErrors, BadModelSidecarAndFlags) {
    TempDir dir;
    std::ofstream(dir / "bad.json") << R"({"mean": [0.5, "x", 0.5]})";
    struct Case {
        std::string args;
        std::string words;
    } cases[] = {
        {"classify /nonexistent/m.onnx " + kSamples, "/nonexistent/m.onnx"},
        {"classify " + kModel + " " + kSamples + " --sidecar " + (dir / "bad.json"), "key 'mean[1]'"},
        {"classify " + kModel + " " + kSamples + " --resize fill", "resize mode 'fill'"},
        {"classify " + kModel + " " + kSamples + " --size 64x64", "is fixed at"},
        {"classify " + kModel + " " + kSamples + " --mean 0.1,0.2", "--mean has 2 values"},
        {"classify " + kModel + " " + kSamples + " --std 0", "--std '0'"},
        {"classify " + kModel + " " + kSamples + " --scale 7", "--scale"},
        {"classify " + kModel + " " + kSamples + " --top 0", "--top 0"},
        {"classify " + kModel + " " + kSamples + " --bgr --rgb", "--bgr and --rgb"},
        {"classify " + kFixtures + "/mlp.onnx " + kSamples, "image tasks need N x C x H x W"},
        {"video " + kModel + " " + kSamples + " --frames 4", "is not a clip"},
        {"video " + kModel + " " + kSamples, "`edgeinfer classify` runs image models"},
        {"video " + kFixtures + "/trend.onnx " + kSamples + " --frames 8", "fixed at T=4"},
    };
    for (const Case& c : cases) {
        auto r = run_cli(c.args);
        EXPECT_EQ(r.code, 1) << c.args << "\n" << r.out;
        EXPECT_NE(r.out.find(c.words), std::string::npos) << c.args << "\n" << r.out;
        EXPECT_EQ(count(r.out, "\n"), 1) << "one line expected:\n" << r.out;
    }
}

TEST(ClassifyErrors, UnwritableSave) {
    auto r = run_cli("classify " + kModel + " " + kSamples + " --save /proc/edgeinfer-cannot/out");
    EXPECT_EQ(r.code, 4) << r.out;
    EXPECT_NE(r.out.find("--save /proc/edgeinfer-cannot/out"), std::string::npos) << r.out;
}

TEST(ClassifyErrors, CameraServerThatIsNotThere) {
    auto r = run_cli("classify " + kModel + " 'tcp://127.0.0.1:9?timeout_ms=200&retries=0' -l 3");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find("SourceLost"), std::string::npos) << r.out;
}

TEST(ClassifyErrors, CameraServerThatVanishesMidRun) {
    auto server =
        std::make_unique<Child>(std::vector<std::string>{"camera-server", "--source", "pattern:64x48", "-p", "0"});
    std::string endpoint = cli_test::endpoint_of(server->read_line(15000));
    ASSERT_FALSE(endpoint.empty()) << server->err();
    Child classify({"classify", kModel, endpoint + "?timeout_ms=300&retries=0", "-r", "20", "-t", "1"});
    int results = 0;  // wait for two frame lines ("tcp://...#12: star 0.91, ...") after the header lines
    for (int i = 0; i < 10 && results < 2; ++i) {
        std::string line = classify.read_line(15000);
        ASSERT_NE(line, "") << classify.err();
        results += line.rfind(endpoint + "#", 0) == 0;
    }
    ASSERT_EQ(results, 2) << classify.err();
    server.reset();  // SIGKILL: the server is gone without a word
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(classify.wait(30000), 3) << classify.err();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(seconds, 3.0) << "gave up without the 0.5 + 1 + 2 s of backoff";
    const std::string err = classify.err();
    EXPECT_EQ(count(err, "retrying in"), 3) << err;
    EXPECT_NE(err.find("edgeinfer classify: SourceLost:"), std::string::npos) << err;
    EXPECT_NE(err.find("gave up after 3 retries"), std::string::npos) << err;
    EXPECT_NE(classify.rest_of_output().find(" frames in "), std::string::npos);  // the summary still comes
}

TEST(ClassifyErrors, TruncatedVideoEndsCleanly) {
    TempDir dir;
    ASSERT_TRUE(testing::write_test_video(dir / "v.avi", 30));
    const auto size = fs::file_size(dir / "v.avi");
    fs::resize_file(dir / "v.avi", size / 2);
    auto r = run_cli("classify " + kModel + " " + (dir / "v.avi") + " --top 1");
    // Either OpenCV decodes the first half (end of stream: 0) or refuses the file (no frames: 2); never a crash.
    EXPECT_TRUE(r.code == 0 || r.code == 2) << r.code << "\n" << r.out;
    if (r.code == 0) {
        EXPECT_NE(r.out.find(" frames in "), std::string::npos) << r.out;
    } else {
        EXPECT_NE(r.out.find("v.avi"), std::string::npos) << r.out;
    }
}

}  // namespace
}  // namespace edgeinfer
