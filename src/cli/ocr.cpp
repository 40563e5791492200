// `edgeinfer ocr MODEL_DIR DATASPEC`: the text lines of every frame (edgeinfer::TextReader), as text or
// --json lines, with --save overlays. docs/ocr.md.
#include "edgeinfer/ocr.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "base/status.hpp"
#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "cli/signals.hpp"
#include "cli/vision_command.hpp"
#include "edgeinfer/source.hpp"
#include "io/frame.hpp"

namespace edgeinfer::cli {
namespace {

struct OcrArgs {
    std::string model_dir, dataspec, save;
    TextReaderOptions reader;
    bool no_classifier = false, json = false, recursive = false;
    int64_t limit = 0;
    int threads = 0;
    std::string engine_cache, precision = "fp32", max_memory;  // --engine-cache, -p, --max-memory
};

nlohmann::ordered_json line_json(const TextLine& line) {
    nlohmann::ordered_json quad = nlohmann::ordered_json::array();
    for (const Corner& c : line.quad) quad.push_back({c.x, c.y});
    return {{"text", line.text},
            {"score", line.score},
            {"box", quad},
            {"bounds", {line.box.x1, line.box.y1, line.box.x2, line.box.y2}},
            {"box_score", line.box_score},
            {"angle", line.angle},
            {"angle_score", line.angle_score}};
}

// DIR/<image name>.png for image files, DIR/frame_NNNNNN.png for other sources.
Result<std::string> save_overlay(const std::string& dir, const Frame& frame, const OcrResult& result) {
    EDGEINFER_ASSIGN_OR_RETURN(Image overlay, draw_text_lines(frame.image.view(), result));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::filesystem::path source(frame.source_id);
    const bool file = std::filesystem::is_regular_file(source, ec);
    const std::string path = (std::filesystem::path(dir) /
                              (file ? source.stem().string() + ".png" : "frame_" + std::to_string(frame.seq) + ".png"))
                                 .string();
    bool written = false;
    try {
        written = cv::imwrite(path, io::mat_from_view(overlay.view()));
    } catch (const cv::Exception&) {
    }
    if (!written) return io_error("--save: cannot write '" + path + "'");
    return path;
}

int run_ocr(OcrArgs& a) {
    auto fail = [](int code, const Status& s) {
        std::cerr << "edgeinfer ocr: " << s.to_string() << "\n";
        return code;
    };
    std::ostream& info = a.json ? std::cerr : std::cout;
    a.reader.session.num_threads = a.threads;
    a.reader.session.engine_cache_dir = a.engine_cache;  // one folder for all three models (keyed by model hash)
    a.reader.session.precision = precision_from_name(a.precision);
    a.reader.session.max_memory_bytes = max_memory_bytes(a.max_memory);
    a.reader.use_classifier = !a.no_classifier;
    auto reader = TextReader::create(a.model_dir, a.reader);
    if (!reader.is_ok()) return fail(kExitError, reader.status());
    const OcrModelFiles& files = reader.value()->files();
    auto name = [](const std::string& p) { return std::filesystem::path(p).filename().string(); };
    info << "models: detector " << name(files.detector) << ", recognizer " << name(files.recognizer) << ", classifier "
         << (files.classifier.empty() ? std::string("none") : name(files.classifier)) << ", dictionary "
         << name(files.dictionary) << " (" << reader.value()->dictionary_size() << " characters)\n";
    SourceOptions source_options;
    source_options.recursive = a.recursive;
    source_options.limit = a.limit;
    auto source = FrameSource::open(a.dataspec, source_options);
    if (!source.is_ok()) return fail(kExitNoFrames, source.status());
    info << "source: " << source.value()->describe() << "\n";

    std::atomic<bool> stop{false};
    StopSignals signals([&stop] { stop = true; });
    int64_t frames = 0, lines = 0;
    while (!stop) {
        auto frame = source.value()->next();
        if (!frame.is_ok()) {
            const Status& s = frame.status();
            if (s.code() == StatusCode::kEndOfStream) break;
            if (frames == 0) return fail(kExitNoFrames, s);
            return fail(s.code() == StatusCode::kSourceLost ? kExitSourceLost : kExitError, s);
        }
        const Frame& f = frame.value();
        const auto start = std::chrono::steady_clock::now();
        auto result = reader.value()->read(f.image.view());
        if (!result.is_ok()) return fail(kExitError, result.status().with_context(f.source_id));
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        ++frames;
        lines += static_cast<int64_t>(result.value().lines.size());
        std::string saved;
        if (!a.save.empty()) {
            auto path = save_overlay(a.save, f, result.value());
            if (!path.is_ok()) return fail(kExitSaveFailed, path.status());
            saved = path.value();
        }
        if (a.json) {
            nlohmann::ordered_json j{{"source", f.source_id}, {"seq", f.seq}, {"timestamp_us", f.timestamp_us}};
            j["size"] = {result.value().width, result.value().height};
            j["results"] = nlohmann::ordered_json::array();
            for (const TextLine& line : result.value().lines) j["results"].push_back(line_json(line));
            j["latency_ms"] = ms;
            if (!saved.empty()) j["saved"] = saved;
            std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
            continue;
        }
        std::cout << f.source_id << ": " << result.value().lines.size() << " lines  (" << static_cast<int>(ms) << " ms)"
                  << (saved.empty() ? "" : " -> " + saved) << "\n";
        for (size_t i = 0; i < result.value().lines.size(); ++i) {
            const TextLine& line = result.value().lines[i];
            char score[32];
            std::snprintf(score, sizeof score, "%.3f", line.score);
            std::cout << "  " << i + 1 << "  \"" << line.text << "\"  " << score << "  [";
            for (size_t c = 0; c < 4; ++c)
                std::cout << (c ? " " : "") << static_cast<int>(line.quad[c].x) << ","
                          << static_cast<int>(line.quad[c].y);
            std::cout << "]" << (line.angle ? "  (turned 180)" : "") << "\n";
        }
    }
    info << frames << " frames, " << lines << " text lines\n";
    if (stop) {
        std::cerr << "edgeinfer ocr: interrupted\n";
        return kExitInterrupted;
    }
    if (frames == 0) return fail(kExitNoFrames, Status(StatusCode::kEndOfStream, a.dataspec + ": no frames"));
    return kExitOk;
}

}  // namespace

void add_ocr_command(CLI::App& app, int* exit_code) {
    auto a = std::make_shared<OcrArgs>();
    CLI::App* cmd = app.add_subcommand(
        "ocr", "Read the text lines in every frame of a DATASPEC with a PaddleOCR-style model folder (docs/ocr.md)");
    cmd->add_option("model_dir", a->model_dir,
                    "Folder with *det*.onnx, *rec*.onnx, the dictionary *.txt and optionally *cls*.onnx "
                    "(scripts/fetch-models: models/ocr/ppocr-v4)")
        ->required();
    cmd->add_option("dataspec", a->dataspec,
                    "Folder, image, video, /dev/videoN or v4l2:N, tcp://HOST:PORT or ipc://PATH, pattern:WxH")
        ->required();
    cmd->add_option("-l,--limit", a->limit, "Stop after N frames (0: until the source ends)");
    cmd->add_flag("--json", a->json, "One JSON line per frame on stdout");
    cmd->add_option("--save", a->save, "Overlays (boxes, text, scores) as PNG files into DIR");
    cmd->add_option("-t,--threads", a->threads, "Inference threads (0: all cores)");
    cmd->add_flag("--recursive", a->recursive, "Folders: include sub-folders");
    cmd->add_option("--engine-cache", a->engine_cache,
                    "Engine cache DIR for the three models: built on first use, reused after (docs/engine.md)");
    add_precision_option(cmd, a->precision);
    add_max_memory_option(cmd, a->max_memory);
    TextReaderOptions& r = a->reader;
    const char* models = "Model files (default: found by name in MODEL_DIR)";
    cmd->add_option("--det", r.files.detector, "Text-detection model")->group(models);
    cmd->add_option("--rec", r.files.recognizer, "Text-recognition model")->group(models);
    cmd->add_option("--cls", r.files.classifier, "Direction classifier (0/180 degrees)")->group(models);
    cmd->add_option("--dict", r.files.dictionary, "Character dictionary, one character a line")->group(models);
    cmd->add_flag("--no-cls", a->no_classifier, "Do not run the direction classifier")->group(models);
    const char* tuning = "Detection and recognition (PaddleOCR's defaults)";
    cmd->add_option("--max-side", r.max_side, "Detector input: longer side at most this (default 960)")->group(tuning);
    cmd->add_option("--binary-threshold", r.binary_threshold, "Text probability of a map pixel (default 0.3)")
        ->group(tuning);
    cmd->add_option("--box-threshold", r.box_threshold, "A box's mean probability (default 0.6)")->group(tuning);
    cmd->add_option("--unclip-ratio", r.unclip_ratio, "Box growth: area * ratio / perimeter (default 1.5)")
        ->group(tuning);
    cmd->add_option("--text-threshold", r.text_threshold, "Drop lines recognized below this score (default 0.5)")
        ->group(tuning);
    cmd->add_flag("--dilate", r.dilate, "Dilate the binary map before finding boxes")->group(tuning);
    cmd->callback([a, exit_code] { *exit_code = run_ocr(*a); });
}

}  // namespace edgeinfer::cli
