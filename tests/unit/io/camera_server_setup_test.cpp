// io::camera_endpoint, io::reachable_endpoint and io::start_camera_server: the camera-server
// command's setup, through the library (loopback only).
#include <gtest/gtest.h>

#include "io/camera_client.hpp"
#include "io/camera_server.hpp"

namespace edgeinfer {
namespace {

TEST(CameraServerSetup, Endpoints) {
    EXPECT_EQ(io::camera_endpoint(8089, false).value(), "tcp://127.0.0.1:8089");
    EXPECT_EQ(io::camera_endpoint(0, false, "", true).value(), "tcp://*:0");
    EXPECT_EQ(io::camera_endpoint(9000, true).value(), "ipc:///tmp/edgeinfer-camera-9000");
    EXPECT_EQ(io::camera_endpoint(9000, true, "/tmp/cam.sock").value(), "ipc:///tmp/cam.sock");
    auto bad = io::camera_endpoint(70000, false);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("--port 70000"), std::string::npos) << bad.status().message();
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
