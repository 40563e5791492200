// Common flags of the vision commands, their conversion into pipeline::TaskRunOptions, the run under
// StopSignals and the terminal check (the JSON lines are pipeline::json_line's).
#include "cli/vision_command.hpp"

#include <unistd.h>

#include <atomic>
#include <iostream>

#include "cli/keep_fp32.hpp"
#include "cli/signals.hpp"
#include "edgeinfer/tools.hpp"
#include "io/curve.hpp"

namespace edgeinfer::cli {

void add_vision_options(CLI::App* cmd, VisionArgs& args, VisionFlags flags) {
    pipeline::TaskRunOptions& t = args.task;
    cmd->add_option("model", t.head.model_path, "ONNX model (its sidecar MODEL.json is read when present)")->required();
    cmd->add_option("dataspec", t.dataspec,
                    "Folder, image, video, /dev/videoN or v4l2:N, tcp://HOST:PORT or ipc://PATH, pattern:WxH, "
                    "rtsp:// or udp:// URL, gst:PIPELINE")
        ->required();
    cmd->add_option("-l,--limit", t.limit, "Stop after N results (0: until the source ends)");
    cmd->add_option("-r,--rate", t.rate, "Read at most this many frames per second");
    cmd->add_flag("-c,--force-cpu", t.force_cpu, "Run on the CPU (the only device of this build; reported)");
    cmd->add_flag("--json", t.json, "One JSON line per result on stdout");
    cmd->add_option("--save", t.save, "Annotated images into DIR, or an annotated video FILE.mp4|.avi|.mkv");
    cmd->add_option("--labels", t.labels_path, "Class names, one per line (default: the sidecar's labels)");
    cmd->add_option("--sidecar", t.sidecar_path, "Preprocessing/labels JSON (default: MODEL.json next to MODEL)");
    cmd->add_option("-t,--threads", t.threads, "Inference threads (0: all cores)");
    add_max_memory_option(cmd, args.max_memory);
    add_precision_option(cmd, args.precision);
    add_keep_fp32_option(cmd, t.keep_fp32_nodes);
    add_tactics_option(cmd, args.tactics);
    const char* engine = "Engine (docs/engine.md, trtexec-style)";
    cmd->add_option("--engine", t.engine_path,
                    "Engine FILE: loaded when it matches MODEL and the options, else rebuilt")
        ->group(engine);
    cmd->add_option("--engine-cache", t.engine_cache_dir, "Engine cache DIR: built on first use, reused after")
        ->group(engine);
    cmd->add_option("--min-shapes", args.min_shapes, "Shape profile: NAME:DIMS,... smallest shapes allowed")
        ->allow_extra_args(false)
        ->group(engine);
    cmd->add_option("--opt-shapes", args.opt_shapes, "Shape profile: NAME:DIMS,... shapes planned at creation")
        ->allow_extra_args(false)
        ->group(engine);
    cmd->add_option("--max-shapes", args.max_shapes, "Shape profile: NAME:DIMS,... largest shapes allowed")
        ->allow_extra_args(false)
        ->group(engine);
    cmd->add_flag("--recursive", t.recursive, "Folders: include sub-folders");
    cmd->add_flag("--loop", t.loop, "Video files: start again at the end");
    cmd->add_flag("--no-progress", args.no_progress, "No live progress line on a terminal");
    cmd->add_option("--curve-keys", args.curve_keys,
                    "Camera servers: ZeroMQ CURVE with this key folder (server.pub, client.key, client.pub)");
    if (flags.top) cmd->add_option("--top", t.head.top, "Show the K best classes (default 5)");
    if (flags.threshold) cmd->add_option("--threshold", t.head.threshold, "Drop results scoring below this");
    if (flags.clip) {
        cmd->add_option("--frames", t.clip_frames, "Frames per clip (default: the sidecar's or the model's T)");
        cmd->add_option("--stride", t.stride, "A new clip every S frames (default: T, clips do not overlap)");
    }
    const char* group = "Preprocessing (default: the sidecar, else the model's input size, ImageNet mean/std, RGB)";
    cmd->add_option("--size", args.size, "Model input size WxH")->group(group);
    cmd->add_option("--resize", args.resize, "stretch, letterbox, or crop (shorter side, center crop)")->group(group);
    cmd->add_option("--interp", args.interp, "nearest, linear, cubic or area")->group(group);
    cmd->add_option("--mean", args.mean, "Per-channel mean, e.g. 0.485,0.456,0.406 (after scaling)")->group(group);
    cmd->add_option("--std", args.std, "Per-channel std, e.g. 0.229,0.224,0.225")->group(group);
    cmd->add_option("--scale", args.scale, "Pixel range the model expects: 1 (0..1) or 255 (0..255)")->group(group);
    cmd->add_flag("--bgr", args.bgr, "Channels in BGR order")->group(group);
    cmd->add_flag("--rgb", args.rgb, "Channels in RGB order")->group(group);
    cmd->add_flag("--nhwc", args.nhwc, "Channels-last input")->group(group);
    cmd->add_flag("--nchw", args.nchw, "Channels-first input")->group(group);
}

namespace {

Status parse_preprocess(VisionArgs& a) {
    vision::PreprocessOverrides& p = a.task.preprocess;
    if (!a.size.empty()) {
        auto s = vision::parse_size_flag(a.size);
        if (!s.is_ok()) return s.status();
        p.size = s.value();
    }
    if (!a.resize.empty()) {
        auto r = vision::parse_resize_mode(a.resize);
        if (!r.is_ok()) return r.status();
        p.resize = r.value();
    }
    if (!a.interp.empty()) {
        auto i = vision::parse_interpolation(a.interp);
        if (!i.is_ok()) return i.status();
        p.interpolation = i.value();
    }
    if (!a.mean.empty()) {
        auto m = vision::parse_channel_values(a.mean, "--mean");
        if (!m.is_ok()) return m.status();
        p.mean = m.value();
    }
    if (!a.std.empty()) {
        auto s = vision::parse_std_values(a.std, "--std");
        if (!s.is_ok()) return s.status();
        p.std = s.value();
    }
    if (a.scale != 0.0) {
        if (a.scale != 1.0 && a.scale != 255.0)
            return invalid_argument("--scale " + std::to_string(a.scale) +
                                    ": expected 1 (inputs 0..1) or 255 (0..255)");
        p.scale = a.scale == 1.0 ? 1.0 / 255.0 : 1.0;
    }
    if (a.bgr && a.rgb) return invalid_argument("--bgr and --rgb: give one");
    if (a.bgr) p.color = vision::ColorOrder::kBgr;
    if (a.rgb) p.color = vision::ColorOrder::kRgb;
    if (a.nhwc && a.nchw) return invalid_argument("--nhwc and --nchw: give one");
    if (a.nhwc) p.layout = vision::Layout::kNhwc;
    if (a.nchw) p.layout = vision::Layout::kNchw;
    a.task.precision = precision_from_name(a.precision);
    a.task.tactics = tactic_mode_from_name(a.tactics);
    a.task.max_memory_bytes = max_memory_bytes(a.max_memory);
    if (!a.task.engine_path.empty() && !a.task.engine_cache_dir.empty())
        return invalid_argument("--engine and --engine-cache: give one");
    auto profiles = tools::parse_shape_profiles(a.min_shapes, a.opt_shapes, a.max_shapes);
    if (!profiles.is_ok()) return profiles.status();
    a.task.shape_profiles = std::move(profiles).value();
    a.task.progress = !a.no_progress && ::isatty(STDERR_FILENO);
    if (a.task.limit < 0) return invalid_argument("--limit " + std::to_string(a.task.limit) + ": must be >= 0");
    if (a.task.rate < 0) return invalid_argument("--rate: must be >= 0");
    if (!a.curve_keys.empty()) {
        auto with_keys = io::with_curve_keys(a.task.dataspec, a.curve_keys);
        if (!with_keys.is_ok()) return with_keys.status();
        a.task.dataspec = with_keys.value();
    }
    return check_keep_fp32(a.task.head.model_path, a.task.keep_fp32_nodes);
}

}  // namespace

int exit_code(pipeline::TaskOutcome outcome) {
    switch (outcome) {
        case pipeline::TaskOutcome::kOk:
            return kExitOk;
        case pipeline::TaskOutcome::kError:
            return kExitError;
        case pipeline::TaskOutcome::kNoFrames:
            return kExitNoFrames;
        case pipeline::TaskOutcome::kSourceLost:
            return kExitSourceLost;
        case pipeline::TaskOutcome::kSaveFailed:
            return kExitSaveFailed;
        case pipeline::TaskOutcome::kInterrupted:
            return kExitInterrupted;
    }
    return kExitError;
}

int run_vision_command(VisionArgs& args, vision::TaskHead& head) {
    Status s = parse_preprocess(args);
    if (!s.is_ok()) {
        std::cerr << "edgeinfer " << args.task.command << ": " << s.to_string() << "\n";
        return kExitError;
    }
    std::atomic<bool> stop{false};
    StopSignals signals([&stop] { stop = true; });
    args.task.stop = &stop;
    return exit_code(pipeline::run_task(args.task, head, std::cout, std::cerr));
}

}  // namespace edgeinfer::cli
