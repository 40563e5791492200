// `edgeinfer frames DATASPEC [-l N] [-r RATE] [--save DIR] [--json]`: reads frames from any
// source (folder, image, video, camera, camera server, pattern) through the public edgeinfer::FrameSource
// (which applies the limit and the rate) and prints one line per frame.
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "edgeinfer/source.hpp"
#include "io/curve.hpp"
#include "io/frame.hpp"
#include "io/frame_source.hpp"

namespace edgeinfer::cli {
namespace {

struct FramesArgs {
    std::string dataspec;
    int64_t limit = 0;
    double rate = 0.0;
    std::string save_dir;
    bool recursive = false;
    bool loop = false;
    std::string mode;
    bool json = false;
    std::string curve_keys;
};

int run_frames(const FramesArgs& a) {
    auto fail = [](const Status& s) {
        std::cerr << "edgeinfer frames: " << s.to_string() << "\n";
        return 1;
    };
    SourceOptions options;
    options.recursive = a.recursive;
    options.loop = a.loop;
    options.limit = a.limit > 0 ? a.limit : 0;
    options.rate = a.rate > 0 ? a.rate : 0.0;
    if (!a.mode.empty()) {
        auto mode = io::parse_capture_mode(a.mode);
        if (!mode.is_ok()) return fail(mode.status());
        options.width = mode.value().width;
        options.height = mode.value().height;
        options.fps = mode.value().fps;
    }
    if (!a.save_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(a.save_dir, ec);
        if (ec) return fail(io_error("--save " + a.save_dir + ": " + ec.message()));
    }
    std::string dataspec = a.dataspec;
    if (!a.curve_keys.empty()) {
        auto with_keys = io::with_curve_keys(dataspec, a.curve_keys);
        if (!with_keys.is_ok()) return fail(with_keys.status());
        dataspec = with_keys.value();
    }
    auto source = FrameSource::open(dataspec, options);
    if (!source.is_ok()) return fail(source.status());
    if (!a.json) std::cout << "source: " << source.value()->describe() << "\n";
    const auto start = std::chrono::steady_clock::now();
    int64_t count = 0;
    Status end = Status::ok();
    for (;;) {
        Result<Frame> frame = source.value()->next();
        if (!frame.is_ok()) {
            end = frame.status();
            break;
        }
        std::string saved;
        if (!a.save_dir.empty()) {
            auto path = io::save_frame_png(a.save_dir, count, frame.value());
            if (!path.is_ok()) return fail(path.status());
            saved = path.value();
        }
        const Frame& f = frame.value();
        if (a.json) {
            nlohmann::ordered_json j{{"index", count},
                                     {"seq", f.seq},
                                     {"width", f.image.width()},
                                     {"height", f.image.height()},
                                     {"timestamp_us", f.timestamp_us},
                                     {"source", f.source_id}};
            if (!saved.empty()) j["saved"] = saved;
            std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
        } else {
            std::cout << "frame " << count << ": seq=" << f.seq << " " << f.image.width() << "x" << f.image.height()
                      << " t=" << io::format_timestamp_us(f.timestamp_us) << " " << f.source_id
                      << (saved.empty() ? "" : " -> " + saved) << std::endl;
        }
        ++count;
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!a.json)
        std::cout << count << " frames in " << std::fixed << std::setprecision(2) << seconds << " s ("
                  << std::setprecision(1) << (seconds > 0 ? count / seconds : 0.0) << " fps)\n";
    if (!end.is_ok() && end.code() != StatusCode::kEndOfStream) return fail(end);
    return 0;
}

}  // namespace

void add_frames_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<FramesArgs>();
    CLI::App* cmd = app.add_subcommand("frames", "Read frames from a DATASPEC and print one line per frame");
    cmd->add_option("dataspec", args->dataspec,
                    "Folder, image, video, /dev/videoN or v4l2:N, tcp://HOST:PORT or ipc://PATH, pattern:WxH, "
                    "rtsp:// or udp:// URL, gst:PIPELINE")
        ->required();
    cmd->add_option("-l,--limit", args->limit, "Stop after N frames (0: until the source ends)");
    cmd->add_option("-r,--rate", args->rate, "At most this many frames per second");
    cmd->add_option("--save", args->save_dir, "Write each frame as DIR/frame_NNNNNN.png");
    cmd->add_option("--curve-keys", args->curve_keys,
                    "Camera servers: ZeroMQ CURVE with this key folder (server.pub, client.key, client.pub)");
    cmd->add_flag("--recursive", args->recursive, "Folders: include sub-folders");
    cmd->add_flag("--loop", args->loop, "Video files: start again at the end");
    cmd->add_option("-m,--mode", args->mode, "Camera mode WxH[@FPS]; pattern and video: output size");
    cmd->add_flag("--json", args->json, "One JSON object per frame instead of text");
    cmd->callback([args, exit_code] { *exit_code = run_frames(*args); });
}

}  // namespace edgeinfer::cli
