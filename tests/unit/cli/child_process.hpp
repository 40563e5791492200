// A child `edgeinfer` process with stdout on a pipe and stderr in a file, for CLI tests that talk to
// long-running commands (camera-server, classify on a live source).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../io/io_test_util.hpp"

namespace edgeinfer::cli_test {

using edgeinfer::testing::TempDir;

// A child process with stdout on a pipe and stderr in a file.
class Child {
  public:
    Child(const std::vector<std::string>& args, const std::string& program = EDGEINFER_BINARY) {
        err_path_ = dir_ / "stderr.txt";
        int fds[2];
        if (::pipe(fds) != 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(err, 2);
            ::close(fds[0]);
            std::vector<char*> argv{const_cast<char*>(program.c_str())};
            for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            ::execv(program.c_str(), argv.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = fds[0];
    }
    ~Child() {
        if (pid_ > 0 && exit_code_ == kRunning) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) ::close(out_);
    }

    // The next stdout line, or "" after timeout_ms.
    // Time limits here are x30 under emulation (EDGEINFER_EMULATED, set by CTest in cross builds: qemu is many
    // times slower than a board, and scripts/test-arm64 runs it at nice 15 on a shared build machine, where one
    // emulated program start took over 50 s at load 13). They bound failures only: a wait ends when the child does.
    static int scaled(int timeout_ms) { return std::getenv("EDGEINFER_EMULATED") ? timeout_ms * 30 : timeout_ms; }

    std::string read_line(int timeout_ms = 5000) {
        timeout_ms = scaled(timeout_ms);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (true) {
            auto nl = buffer_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            int left =
                int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                        .count());
            if (left <= 0) return "";
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, left) <= 0) return "";
            char chunk[4096];
            ssize_t n = ::read(out_, chunk, sizeof(chunk));
            if (n <= 0) return "";
            buffer_.append(chunk, size_t(n));
        }
    }

    // The exit code (128+N for signal N), or -1 when it did not exit within timeout_ms.
    int wait(int timeout_ms = 5000) {
        timeout_ms = scaled(timeout_ms);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (exit_code_ == kRunning && std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_)
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return exit_code_ == kRunning ? -1 : exit_code_;
    }

    void signal(int sig) { ::kill(pid_, sig); }
    std::string err() const {
        std::ifstream in(err_path_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    std::string rest_of_output() {
        std::string all = buffer_;
        char chunk[4096];
        ssize_t n;
        while ((n = ::read(out_, chunk, sizeof(chunk))) > 0) all.append(chunk, size_t(n));
        return all;
    }

  private:
    static constexpr int kRunning = -1000;
    TempDir dir_;
    std::string err_path_;
    pid_t pid_ = -1;
    int out_ = -1;
    int exit_code_ = kRunning;
    std::string buffer_;
};

// "listening on tcp://127.0.0.1:PORT" → the endpoint ("" if the line is something else).
inline std::string endpoint_of(const std::string& line) {
    const std::string prefix = "listening on ";
    return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : "";
}

}  // namespace edgeinfer::cli_test
