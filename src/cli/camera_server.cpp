// `edgeinfer camera-server [--source SPEC] [-p PORT] [-i] [-a] [-r FPS] [-m N|WxH@FPS] [--hflip] [--vflip]
// [-c] [--publish]`: owns a camera (or video, or test pattern) and serves its newest frame over
// ZeroMQ until SIGINT/SIGTERM.
#include "io/camera_server.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "io/curve.hpp"

namespace edgeinfer::cli {
namespace {

struct CameraServerArgs {
    std::string source = "v4l2:0";
    int port = 8089;
    bool ipc = false;
    std::string ipc_path;
    bool all = false;
    std::string bind;
    double fps = 0.0;
    std::string mode;
    bool list_modes = false;
    bool hflip = false;
    bool vflip = false;
    bool centre = false;
    bool publish = false;
    std::string encoding = "bgr";
    int quality = 90;
    std::string curve_keys;     // serve with CURVE from this key folder
    std::string generate_keys;  // write a key folder and exit
};

std::string fps_text(double fps) {
    std::ostringstream s;
    s << fps;
    return s.str();
}

int fail(const Status& status) {
    std::cerr << "edgeinfer camera-server: " << status.to_string() << "\n";
    return 1;
}

int run_camera_server(CameraServerArgs a) {
    if (!a.generate_keys.empty()) {
        Status s = io::generate_curve_keys(a.generate_keys);
        if (!s.is_ok()) return fail(s);
        std::cout << "wrote CURVE keys to " << a.generate_keys
                  << "/: server.key (secret) and server.pub for the server (--curve-keys " << a.generate_keys
                  << "), client.key and client.pub for a client (?curve_keys=DIR or --curve-keys DIR: copy server.pub, "
                     "client.key, client.pub), authorized_clients (client.pub; one line per further client)\n";
        return 0;
    }
    if (a.list_modes) {
        auto modes = io::list_capture_modes(a.source);
        if (!modes.is_ok()) return fail(modes.status());
        std::cout << a.source << " modes (-m N picks one; -m WxH[@FPS] asks for any other):\n";
        for (size_t i = 0; i < modes->size(); ++i) std::cout << "  " << i << ": " << modes.value()[i].text << "\n";
        return 0;
    }
    // Block the stop signals before any thread exists (OpenCV's, ZeroMQ's, ours), so that only
    // sigwait below receives them and shutdown is always orderly.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    io::SourceOptions source_options;
    source_options.loop = true;
    if (!a.mode.empty()) {
        std::vector<io::ListedMode> listed;
        if (a.mode.find_first_not_of("0123456789") == std::string::npos) {  // -m N: an index into --list-modes
            auto modes = io::list_capture_modes(a.source);
            if (!modes.is_ok()) return fail(modes.status());
            listed = std::move(modes.value());
        }
        auto mode = io::select_capture_mode(a.mode, listed, a.source);
        if (!mode.is_ok()) return fail(mode.status());
        std::cerr << "edgeinfer camera-server: mode " << mode->width << "x" << mode->height
                  << (mode->fps > 0 ? "@" + fps_text(mode->fps) : "")
                  << (mode->fourcc.empty() ? "" : " " + mode->fourcc) << "\n";
        source_options.mode = mode.value();
        if (a.fps <= 0) a.fps = mode->fps;
    }
    io::CameraServerOptions options;
    auto endpoint = io::camera_endpoint(a.port, a.ipc, a.ipc_path, a.all, a.bind);
    if (!endpoint.is_ok()) return fail(endpoint.status());
    options.endpoint = endpoint.value();
    options.fps = a.fps;
    options.hflip = a.hflip;
    options.vflip = a.vflip;
    options.centre = a.centre;
    options.publish = a.publish;
    auto encoding = io::parse_encoding(a.encoding);
    if (!encoding.is_ok()) return fail(encoding.status());
    options.publish_encoding = encoding.value();
    options.publish_quality = a.quality;
    options.curve_keys = a.curve_keys;

    Status source_lost;  // a camera absent or busy: clients are told, and it is retried until it appears
    auto server = io::start_camera_server(a.source, source_options, options, &source_lost);
    if (!source_lost.is_ok()) std::cerr << "edgeinfer camera-server: " << source_lost.message() << " (retrying)\n";
    if (!server.is_ok()) return fail(server.status());

    std::string shown = server.value()->endpoint();
    if (a.all && !a.ipc) shown = io::reachable_endpoint(shown);
    std::cout << "listening on " << shown << std::endl;
    std::cerr << "edgeinfer camera-server: " << a.source
              << (a.publish ? ", publishing " + a.encoding : ", request/reply")
              << (a.curve_keys.empty() ? "" : ", CURVE keys " + a.curve_keys)
              << (a.fps > 0 ? ", at most " + fps_text(a.fps) + " fps" : "") << "; Ctrl-C stops\n";

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server.value()->stop();
    io::CameraServerStats s = server.value()->stats();
    std::cerr << "edgeinfer camera-server: stopped by " << (signal_number == SIGINT ? "SIGINT" : "SIGTERM") << " after "
              << s.captured << " frames captured, " << s.requests << " requests, " << s.frames_sent << " frames sent\n";
    return 0;
}

}  // namespace

void add_camera_server_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<CameraServerArgs>();
    CLI::App* cmd =
        app.add_subcommand("camera-server", "Serve a camera's newest frame over ZeroMQ (docs/camera-protocol.md)");
    cmd->add_option(
           "--source", args->source,
           "What to capture: v4l2:N or /dev/videoN, a video file (looped), pattern:WxH, rtsp:// URL, gst:PIPELINE")
        ->capture_default_str();
    cmd->add_option("-p,--port", args->port, "TCP port (0: any free port); also names the default ipc socket")
        ->capture_default_str();
    cmd->add_flag("-i,--ipc", args->ipc,
                  "Listen on an ipc socket instead of TCP: $XDG_RUNTIME_DIR/edgeinfer/camera-PORT, else "
                  "/tmp/edgeinfer-UID/camera-PORT (a folder only you can enter)");
    cmd->add_option("--ipc-path", args->ipc_path,
                    "Socket file for --ipc (refused when a file other than a socket is there)");
    cmd->add_flag("-a,--all", args->all, "Listen on all interfaces (default: 127.0.0.1) and print the host's address");
    cmd->add_option("--bind", args->bind, "Listen on this interface only: its address (192.168.1.5) or name (eth0)");
    cmd->add_option("-r,--rate,--fps", args->fps,
                    "Capture at most this many frames per second (default: the source's own rate)");
    cmd->add_option("-m,--mode", args->mode,
                    "Capture mode: a number from --list-modes, or WxH[@FPS], e.g. 1280x720@30");
    cmd->add_flag("--list-modes", args->list_modes, "Print the source's capture modes and exit");
    cmd->add_flag("--hflip", args->hflip, "Mirror frames left-right");
    cmd->add_flag("--vflip", args->vflip, "Flip frames upside down");
    cmd->add_flag("-c,--centre,--center", args->centre, "Crop the centre square");
    cmd->add_flag("--publish", args->publish, "Publish every frame (PUB socket) instead of answering requests");
    cmd->add_option("--encoding", args->encoding, "Encoding of published frames: bgr or jpeg")->capture_default_str();
    cmd->add_option("--curve-keys", args->curve_keys,
                    "Encrypt and authenticate with ZeroMQ CURVE: the key folder of --generate-keys (docs/security.md)");
    cmd->add_option("--generate-keys", args->generate_keys,
                    "Write a CURVE key folder (server and client key pairs, authorized_clients) and exit");
    cmd->add_option("--quality", args->quality, "JPEG quality of published frames")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    cmd->callback([args, exit_code] { *exit_code = run_camera_server(*args); });
}

}  // namespace edgeinfer::cli
