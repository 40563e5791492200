// io::camera_endpoint, io::reachable_endpoint and io::start_camera_server: the camera-server
// command's setup, through the library (loopback only).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "io/camera_client.hpp"
#include "io/camera_server.hpp"

namespace edgeinfer {
namespace {

TEST(CameraServerSetup, Endpoints) {
    EXPECT_EQ(io::camera_endpoint(8089, false).value(), "tcp://127.0.0.1:8089");
    EXPECT_EQ(io::camera_endpoint(0, false, "", true).value(), "tcp://*:0");
    EXPECT_EQ(io::camera_endpoint(9000, true, "/tmp/cam.sock").value(), "ipc:///tmp/cam.sock");
    EXPECT_EQ(io::camera_endpoint(9000, false, "", false, "192.168.7.2").value(), "tcp://192.168.7.2:9000");
    EXPECT_EQ(io::camera_endpoint(9000, false, "", false, "lo").value(), "tcp://lo:9000");
    EXPECT_EQ(io::camera_endpoint(9000, false, "", true, "127.0.0.1").status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(io::camera_endpoint(9000, false, "", false, "a b").status().code(), StatusCode::kInvalidArgument);
    auto bad = io::camera_endpoint(70000, false);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("--port 70000"), std::string::npos) << bad.status().message();
}

// Sets an environment variable for one scope.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(CameraServerSetup, DefaultIpcSocketsLiveInAPrivateFolder) {
    const auto runtime = std::filesystem::temp_directory_path() / ("edgeinfer_xdg_" + std::to_string(::getpid()));
    std::filesystem::create_directories(runtime);
    {
        ScopedEnv xdg("XDG_RUNTIME_DIR", runtime.string());
        auto endpoint = io::camera_endpoint(9000, true);
        ASSERT_TRUE(endpoint.is_ok()) << endpoint.status().to_string();
        EXPECT_EQ(endpoint.value(), "ipc://" + (runtime / "edgeinfer" / "camera-9000").string());
        struct stat st {};
        ASSERT_EQ(::stat((runtime / "edgeinfer").c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0700u);
        // A folder of ours that others may enter is made private again.
        ::chmod((runtime / "edgeinfer").c_str(), 0777);
        ASSERT_TRUE(io::private_ipc_dir().is_ok());
        ASSERT_EQ(::stat((runtime / "edgeinfer").c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0700u);
        // A server on the default socket listens there, and only its owner can reach it.
        io::CameraServerOptions options;
        options.endpoint = endpoint.value();
        auto server = io::start_camera_server("pattern:16x16", {}, options);
        ASSERT_TRUE(server.is_ok()) << server.status().to_string();
        EXPECT_TRUE(std::filesystem::exists(runtime / "edgeinfer" / "camera-9000"));
        server.value()->stop();
    }
    {
        // A file where the folder should be: refused, named.
        const auto blocked = runtime / "blocked";
        std::filesystem::create_directories(blocked);
        std::ofstream(blocked / "edgeinfer") << "not a folder";
        ScopedEnv xdg("XDG_RUNTIME_DIR", blocked.string());
        auto refused = io::camera_endpoint(9000, true);
        ASSERT_FALSE(refused.is_ok());
        EXPECT_NE(refused.status().message().find("is not a folder"), std::string::npos) << refused.status().message();
        EXPECT_NE(refused.status().message().find((blocked / "edgeinfer").string()), std::string::npos);
    }
    {
        // Without XDG_RUNTIME_DIR: /tmp/edgeinfer-UID.
        const char* saved = std::getenv("XDG_RUNTIME_DIR");
        const std::string keep = saved ? saved : "";
        ::unsetenv("XDG_RUNTIME_DIR");
        auto dir = io::private_ipc_dir();
        if (saved) ::setenv("XDG_RUNTIME_DIR", keep.c_str(), 1);
        ASSERT_TRUE(dir.is_ok()) << dir.status().to_string();
        EXPECT_EQ(dir.value(), "/tmp/edgeinfer-" + std::to_string(::getuid()));
    }
    std::filesystem::remove_all(runtime);
}

TEST(CameraServerSetup, ReachableEndpointKeepsThePort) {
    EXPECT_EQ(io::reachable_endpoint("ipc:///tmp/cam"), "ipc:///tmp/cam");
    std::string shown = io::reachable_endpoint("tcp://0.0.0.0:4242");
    EXPECT_EQ(shown.rfind("tcp://", 0), 0u) << shown;
    EXPECT_EQ(shown.substr(shown.size() - 5), ":4242") << shown;
    EXPECT_EQ(shown.find("127.0.0.1"), std::string::npos) << shown;  // never loopback
}

TEST(CameraServerSetup, StartsOnAPatternAndServesIt) {
    io::CameraServerOptions options;
    options.endpoint = io::camera_endpoint(0, false).value();
    options.fps = 100;
    io::SourceOptions source_options;
    source_options.loop = true;
    Status lost = internal_error("untouched");
    auto server = io::start_camera_server("pattern:64x48", source_options, options, &lost);
    ASSERT_TRUE(server.is_ok()) << server.status().to_string();
    EXPECT_EQ(lost.message(), "untouched");  // the source opened: nothing reported
    auto client = io::CameraClient::connect(server.value()->endpoint(), {});
    ASSERT_TRUE(client.is_ok()) << client.status().to_string();
    auto frame = client.value()->fetch();
    ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
    EXPECT_TRUE(frame->header.ok);
    server.value()->stop();
}

TEST(CameraServerSetup, MistypedFileFailsAtStart) {
    io::CameraServerOptions options;
    options.endpoint = io::camera_endpoint(0, false).value();
    auto server = io::start_camera_server("/nonexistent/clip.mp4", {}, options);
    ASSERT_FALSE(server.is_ok());
    EXPECT_NE(server.status().message().find("/nonexistent/clip.mp4"), std::string::npos)
        << server.status().to_string();
}

}  // namespace
}  // namespace edgeinfer
