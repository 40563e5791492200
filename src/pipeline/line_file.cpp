// LineFile: whole-line appends (one write per line, cut back on failure), optional fsync.
#include "pipeline/line_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace edgeinfer::pipeline {

Result<std::unique_ptr<LineFile>> LineFile::open(const std::filesystem::path& path, LineFileOptions options) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (options.truncate ? O_TRUNC : 0);
    const int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return io_error(path.string() + ": cannot open for writing: " + std::strerror(errno));
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return io_error(path.string() + ": cannot seek: " + why);
    }
    if (!options.write) options.write = [](int f, const void* d, size_t n) { return ::write(f, d, n); };
    return std::unique_ptr<LineFile>(new LineFile(path, fd, std::move(options), uint64_t(end)));
}

LineFile::~LineFile() {
    if (fd_ >= 0) ::close(fd_);
}

Status LineFile::append(std::string_view line) {
    std::string buf;
    buf.reserve(line.size() + 1);
    buf.append(line);
    buf.push_back('\n');
    size_t done = 0;
    int err = 0;
    while (done < buf.size()) {
        const ssize_t n = options_.write(fd_, buf.data() + done, buf.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        done += size_t(n);
    }
    if (err == 0 && options_.fsync && ::fsync(fd_) != 0) err = errno;
    if (err != 0) {
        // Cut off the part of the line that reached the file; the next append starts at a line boundary.
        if (::ftruncate(fd_, off_t(size_)) != 0 || ::lseek(fd_, off_t(size_), SEEK_SET) < 0)
            return io_error(path_.string() + ": cannot write line (" + std::strerror(err) +
                            ") nor cut the file back to its last whole line: " + std::strerror(errno));
        return io_error(path_.string() + ": cannot write line: " + std::strerror(err));
    }
    size_ += buf.size();
    return Status::ok();
}

Status LineFile::sync() {
    if (::fsync(fd_) != 0) return io_error(path_.string() + ": fsync: " + std::strerror(errno));
    return Status::ok();
}

Status sync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error(dir.string() + ": cannot open folder: " + std::strerror(errno));
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return io_error(dir.string() + ": fsync: " + std::strerror(err));
    return Status::ok();
}

Status check_writable_directory(const std::filesystem::path& dir) {
    const std::filesystem::path d = dir.empty() ? "." : dir;
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec) return io_error(d.string() + ": cannot create folder: " + ec.message());
    if (!std::filesystem::is_directory(d, ec)) return io_error(d.string() + ": not a folder");
    const std::filesystem::path probe = d / (".edgeinfer-write-check-" + std::to_string(::getpid()));
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(d.string() + ": cannot write in folder: " + std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
    return Status::ok();
}

}  // namespace edgeinfer::pipeline
