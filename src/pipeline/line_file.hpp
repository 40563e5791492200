// pipeline::LineFile: appends whole lines to a file. Each line goes out as one write() of the full line
// (continued on a short write); when a write fails (disk full, I/O error) the file is cut back to its
// last whole line, so a reader never sees half a line, and the error names the file. With `fsync`,
// each line is on disk when append() returns. The write call is injectable (tests simulate ENOSPC).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "edgeinfer/status.hpp"

namespace edgeinfer::pipeline {

// ::write's contract: bytes written, or -1 with errno set.
using WriteFn = std::function<ssize_t(int fd, const void* data, size_t size)>;

struct LineFileOptions {
    bool truncate = false;  // start empty (else append to what is there)
    bool fsync = false;     // fsync after each line
    WriteFn write{};        // empty: ::write
};

class LineFile {
  public:
    // Creates the file if needed (not its folder).
    static Result<std::unique_ptr<LineFile>> open(const std::filesystem::path& path, LineFileOptions options = {});
    ~LineFile();
    LineFile(const LineFile&) = delete;
    LineFile& operator=(const LineFile&) = delete;

    // Writes `line` and a '\n' (the line must hold none): all of it, or nothing.
    Status append(std::string_view line);
    // fsync (at the end of a run when lines were not synced one by one).
    Status sync();
    uint64_t size() const { return size_; }
    const std::filesystem::path& path() const { return path_; }

  private:
    LineFile(std::filesystem::path path, int fd, LineFileOptions options, uint64_t size)
        : path_(std::move(path)), fd_(fd), options_(std::move(options)), size_(size) {}
    std::filesystem::path path_;
    int fd_ = -1;
    LineFileOptions options_;
    uint64_t size_ = 0;  // bytes of whole lines
};

// fsyncs a folder, so a file created or renamed in it survives a power loss. Errors are ignored by
// callers that cannot do anything about them; returned for those that can.
Status sync_directory(const std::filesystem::path& dir);

// Creates `dir` (and its parents) if needed and checks a file can be created in it (a probe file, removed
// again). Errors name the folder and why ("Not a directory", "Permission denied", "Read-only file system").
Status check_writable_directory(const std::filesystem::path& dir);

}  // namespace edgeinfer::pipeline
