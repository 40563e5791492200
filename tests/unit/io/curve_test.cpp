// ZeroMQ CURVE on the camera server and client (io/curve.hpp), through the library on loopback: key
// folders, a client with the keys getting frames, and named errors for a client without keys, with a
// key the server does not accept, or with keys for a server that has none.
#include "io/curve.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/camera_client.hpp"
#include "io/camera_server.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

class Curve : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("edgeinfer_curve_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<io::CameraServer> start(const std::string& keys) {
        io::CameraServerOptions options;
        options.endpoint = io::camera_endpoint(0, false).value();
        options.fps = 100;
        options.curve_keys = keys;
        auto server = io::start_camera_server("pattern:32x24", {}, options);
        EXPECT_TRUE(server.is_ok()) << server.status().to_string();
        return server.is_ok() ? std::move(server.value()) : nullptr;
    }

    static Result<io::RemoteFrame> fetch(const std::string& endpoint, const std::string& keys) {
        io::CameraClientOptions o;
        o.timeout_ms = 400;
        o.retries = 0;
        o.curve_keys = keys;
        auto client = io::CameraClient::connect(endpoint, o);
        if (!client.is_ok()) return client.status();
        return client.value()->fetch();
    }

    fs::path dir_;
};

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

TEST_F(Curve, GeneratedFolderIsPrivateAndLoads) {
    ASSERT_TRUE(io::generate_curve_keys(dir_.string()).is_ok());
    EXPECT_EQ(mode_of(dir_), 0700u);
    EXPECT_EQ(mode_of(dir_ / "server.key"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "client.key"), 0600u);
    auto server = io::load_curve_server_keys(dir_.string());
    ASSERT_TRUE(server.is_ok()) << server.status().to_string();
    auto client = io::load_curve_client_keys(dir_.string());
    ASSERT_TRUE(client.is_ok()) << client.status().to_string();
    EXPECT_EQ(client->server_public_key, server->public_key);
    ASSERT_EQ(server->authorized_clients.size(), 1u);
    EXPECT_EQ(server->authorized_clients[0], client->public_key);
    EXPECT_NE(server->secret_key, server->public_key);
    // Never overwritten.
    Status again = io::generate_curve_keys(dir_.string());
    EXPECT_EQ(again.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(again.message().find("server.key"), std::string::npos) << again.message();
    // Broken files are named.
    std::ofstream(dir_ / "authorized_clients") << "# nobody\n";
    auto none = io::load_curve_server_keys(dir_.string());
    EXPECT_NE(none.status().message().find("lists no client key"), std::string::npos) << none.status().message();
    std::ofstream(dir_ / "client.key") << "short\n";
    auto bad = io::load_curve_client_keys(dir_.string());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("client.key"), std::string::npos) << bad.status().message();
    EXPECT_EQ(io::load_curve_client_keys((dir_ / "absent").string()).status().code(), StatusCode::kNotFound);
}

TEST_F(Curve, OnlyClientsWithAcceptedKeysGetFrames) {
    ASSERT_TRUE(io::generate_curve_keys((dir_ / "keys").string()).is_ok());
    auto server = start((dir_ / "keys").string());
    ASSERT_NE(server, nullptr);
    const std::string endpoint = server->endpoint();

    auto with_keys = fetch(endpoint, (dir_ / "keys").string());
    ASSERT_TRUE(with_keys.is_ok()) << with_keys.status().to_string();
    EXPECT_TRUE(with_keys->header.ok);
    EXPECT_EQ(with_keys->image.cols, 32);

    auto without = fetch(endpoint, "");
    ASSERT_FALSE(without.is_ok());
    EXPECT_EQ(without.status().code(), StatusCode::kInvalidArgument) << without.status().to_string();
    EXPECT_NE(without.status().message().find("requires CURVE keys"), std::string::npos) << without.status().message();

    // A client key pair of its own, with the right server key, but not in authorized_clients.
    ASSERT_TRUE(io::generate_curve_keys((dir_ / "other").string()).is_ok());
    fs::copy_file(dir_ / "keys" / "server.pub", dir_ / "other" / "server.pub", fs::copy_options::overwrite_existing);
    auto stranger = fetch(endpoint, (dir_ / "other").string());
    ASSERT_FALSE(stranger.is_ok());
    EXPECT_NE(stranger.status().message().find("refused this client's CURVE key"), std::string::npos)
        << stranger.status().message();
    EXPECT_GE(server->stats().clients_refused, 1u);
    server->stop();

    // Keys for a server that has none.
    auto plain = start("");
    ASSERT_NE(plain, nullptr);
    auto unexpected = fetch(plain->endpoint(), (dir_ / "keys").string());
    ASSERT_FALSE(unexpected.is_ok());
    EXPECT_NE(unexpected.status().message().find("does not use CURVE"), std::string::npos)
        << unexpected.status().message();
}

TEST_F(Curve, ServerWithoutItsKeyFilesDoesNotStart) {
    io::CameraServerOptions options;
    options.endpoint = io::camera_endpoint(0, false).value();
    options.curve_keys = (dir_ / "missing").string();
    auto server = io::start_camera_server("pattern:8x8", {}, options);
    ASSERT_FALSE(server.is_ok());
    EXPECT_NE(server.status().message().find("server.key"), std::string::npos) << server.status().message();
}

TEST(CurveUrl, KeysGoIntoTheQuery) {
    EXPECT_EQ(io::with_curve_keys("tcp://h:1", "/k").value(), "tcp://h:1?curve_keys=/k");
    EXPECT_EQ(io::with_curve_keys("tcp://h:1?encoding=jpeg", "/k").value(), "tcp://h:1?encoding=jpeg&curve_keys=/k");
    EXPECT_EQ(io::with_curve_keys("photos/", "/k").status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(io::with_curve_keys("tcp://h:1", "/a&b").status().code(), StatusCode::kInvalidArgument);
    auto url = io::parse_camera_url("tcp://127.0.0.1:9000?curve_keys=/keys");
    ASSERT_TRUE(url.is_ok()) << url.status().to_string();
    EXPECT_EQ(url->options.curve_keys, "/keys");
}

}  // namespace
}  // namespace edgeinfer
