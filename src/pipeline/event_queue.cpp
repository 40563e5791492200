// DiskQueue: journal segments appended with fsync, acknowledgement counts written atomically,
// recovery (and torn-record repair) when opened.
#include "pipeline/event_queue.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "base/status.hpp"

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;

// CRC-32 (IEEE 802.3, reflected, as zlib computes it) of a record's bytes.
uint32_t crc32(std::string_view bytes) {
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::string record_header(const std::string& record) {
    char crc[16];
    std::snprintf(crc, sizeof(crc), "%08x", crc32(record));
    return std::to_string(record.size()) + ":" + crc + "\t";
}

Result<uint64_t> statvfs_free_bytes(const fs::path& dir) {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0)
        return io_error(dir.string() + ": cannot read free space: " + std::strerror(errno));
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace

fs::path DiskQueue::log_path(uint64_t segment) const {
    char name[64];
    std::snprintf(name, sizeof(name), "journal-%010llu.log", static_cast<unsigned long long>(segment));
    return dir_ / name;
}

fs::path DiskQueue::ack_path(uint64_t segment) const {
    char name[64];
    std::snprintf(name, sizeof(name), "journal-%010llu.ack", static_cast<unsigned long long>(segment));
    return dir_ / name;
}

Result<std::unique_ptr<DiskQueue>> DiskQueue::open(const fs::path& dir, DiskQueueOptions options) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) return io_error(dir.string() + ": cannot create spool folder: " + ec.message());
    std::unique_ptr<DiskQueue> q(new DiskQueue(dir, options));
    if (q->options_.records_per_segment == 0) q->options_.records_per_segment = 1;
    EDGEINFER_RETURN_IF_ERROR(q->load());
    return q;
}

DiskQueue::~DiskQueue() { close(); }

Status DiskQueue::load() {
    std::vector<uint64_t> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        const std::string name = entry.path().filename().string();
        unsigned long long n = 0;
        char tail[8] = {};
        if (std::sscanf(name.c_str(), "journal-%10llu.%3s", &n, tail) == 2 && std::string(tail) == "log")
            found.push_back(n);
        // An acknowledgement count that was being written when the process died or the disk filled:
        // the .ack it was to replace still holds the last count written.
        if (name.size() > 8 && name.compare(name.size() - 8, 8, ".ack.tmp") == 0) fs::remove(entry.path(), ec);
    }
    if (ec) return io_error(dir_.string() + ": cannot list spool folder: " + ec.message());
    std::sort(found.begin(), found.end());
    for (uint64_t seg : found) {
        size_t acked = 0;
        {
            std::ifstream a(ack_path(seg));
            if (a) a >> acked;
        }
        std::ifstream in(log_path(seg), std::ios::binary);
        if (!in) return io_error(log_path(seg).string() + ": cannot read journal");
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string data = ss.str();
        size_t pos = 0, count = 0;
        while (pos < data.size()) {
            const size_t tab = data.find('\t', pos);
            if (tab == std::string::npos) break;
            char* end = nullptr;
            const unsigned long long len = std::strtoull(data.c_str() + pos, &end, 10);
            bool has_crc = false;
            unsigned long crc = 0;
            if (end < data.c_str() + tab && *end == ':') {  // "<length>:<crc32>\t"
                char* crc_end = nullptr;
                crc = std::strtoul(end + 1, &crc_end, 16);
                has_crc = crc_end == end + 9;
                end = crc_end;
            }
            if (end != data.c_str() + tab || tab + 1 + len + 1 > data.size() || data[tab + 1 + len] != '\n') break;
            const std::string_view payload(data.data() + tab + 1, len);
            if (has_crc && crc32(payload) != crc) {
                ++corrupt_;  // damaged bytes: never delivered, but counted so acknowledgements stay aligned
            } else if (count >= acked) {
                entries_.push_back({seg, std::string(payload)});
            }
            ++count;
            pos = tab + 1 + len + 1;
        }
        if (pos < data.size()) {
            // A record cut short by a crash while it was written: drop it (it was never acknowledged
            // as stored to the producer, whose push() had not returned).
            fs::resize_file(log_path(seg), pos, ec);
            if (ec) return io_error(log_path(seg).string() + ": cannot repair journal: " + ec.message());
        }
        segments_.emplace_back(seg, count, std::min(acked, count));
    }
    recovered_ = entries_.size();
    // Drop fully acknowledged journals; append to the newest one if it has room.
    while (segments_.size() > 1 && std::get<2>(segments_.front()) >= std::get<1>(segments_.front())) {
        remove_segment(std::get<0>(segments_.front()));
        segments_.pop_front();
    }
    if (!segments_.empty() && std::get<1>(segments_.back()) < options_.records_per_segment)
        return open_segment(std::get<0>(segments_.back()), std::get<1>(segments_.back()));
    const uint64_t next = segments_.empty() ? 1 : std::get<0>(segments_.back()) + 1;
    return open_segment(next, 0);
}

Status DiskQueue::open_segment(uint64_t segment, size_t existing_records) {
    active_.reset();
    LineFileOptions o;
    o.fsync = options_.fsync;
    o.write = options_.write;
    auto file = LineFile::open(log_path(segment), o);
    if (!file.is_ok())
        return io_error(log_path(segment).string() + ": cannot open journal: " + file.status().message());
    active_ = std::move(file.value());
    if (existing_records == 0 && options_.fsync) (void)sync_directory(dir_);  // the new journal's name
    active_segment_ = segment;
    active_records_ = existing_records;
    if (segments_.empty() || std::get<0>(segments_.back()) != segment)
        segments_.emplace_back(segment, existing_records, 0);
    return Status::ok();
}

// The count goes to journal-N.ack.tmp (fsync'd), which then replaces journal-N.ack; on any failure the
// .tmp is removed and the old count stays (those records are delivered again: at least once).
Status DiskQueue::write_ack(uint64_t segment, size_t acked) {
    const fs::path tmp = ack_path(segment).string() + ".tmp";
    std::error_code ec;
    auto give_up = [&](const std::string& why) {
        fs::remove(tmp, ec);
        return io_error(ack_path(segment).string() + ": cannot write acknowledgement: " + why);
    };
    {
        LineFileOptions o;
        o.truncate = true;
        o.fsync = options_.fsync;
        auto out = LineFile::open(tmp, o);
        if (!out.is_ok()) return give_up(out.status().message());
        if (Status s = out.value()->append(std::to_string(acked)); !s.is_ok()) return give_up(s.message());
    }
    fs::rename(tmp, ack_path(segment), ec);
    if (ec) return give_up(ec.message());
    return Status::ok();
}

void DiskQueue::remove_segment(uint64_t segment) {
    std::error_code ec;
    fs::remove(log_path(segment), ec);
    fs::remove(ack_path(segment), ec);
}

Status DiskQueue::push(const std::string& record) {
    std::lock_guard<std::mutex> lock(mu_);
    if (active_records_ >= options_.records_per_segment) {
        EDGEINFER_RETURN_IF_ERROR(open_segment(active_segment_ + 1, 0));
        // The journal just closed may already be fully acknowledged.
        while (segments_.size() > 1 && std::get<2>(segments_.front()) >= std::get<1>(segments_.front())) {
            remove_segment(std::get<0>(segments_.front()));
            segments_.pop_front();
        }
    }
    // Refused while the disk is nearly full, so the reserve stays for acknowledgements.
    const std::string line = record_header(record) + record;
    auto free = options_.free_bytes ? options_.free_bytes(dir_) : statvfs_free_bytes(dir_);
    if (!free.is_ok()) return Status(StatusCode::kResourceExhausted, "event refused: " + free.status().message());
    if (*free < line.size() + 1 + options_.reserve_bytes)
        return Status(StatusCode::kResourceExhausted,
                      "event refused: spool folder " + dir_.string() + " has " + std::to_string(*free) +
                          " bytes free, less than the event (" + std::to_string(line.size() + 1) + " bytes) plus the " +
                          std::to_string(options_.reserve_bytes) +
                          " bytes kept free for acknowledgements; queued events are kept and delivered");
    // One write of the record line; on failure LineFile cuts it back off, so the journal stays well
    // formed and the records before it stay queued.
    if (Status s = active_->append(line); !s.is_ok())
        return Status(StatusCode::kResourceExhausted, "event refused, the spool cannot store it: " + s.message());
    ++active_records_;
    std::get<1>(segments_.back())++;
    entries_.push_back({active_segment_, record});
    cv_.notify_all();
    return Status::ok();
}

std::optional<std::string> DiskQueue::front(int timeout_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return closed_ || !entries_.empty(); });
    if (entries_.empty() || closed_) return std::nullopt;
    return entries_.front().payload;
}

Status DiskQueue::ack() {
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.empty()) return internal_error("DiskQueue::ack without a record");
    const uint64_t seg = entries_.front().segment;
    entries_.pop_front();
    auto it = std::find_if(segments_.begin(), segments_.end(), [&](const auto& s) { return std::get<0>(s) == seg; });
    if (it == segments_.end()) return internal_error("DiskQueue: acknowledged record of an unknown journal");
    const size_t acked = ++std::get<2>(*it);
    if (acked >= std::get<1>(*it) && seg != active_segment_) {
        remove_segment(seg);
        segments_.erase(it);
        return Status::ok();
    }
    return write_ack(seg, acked);
}

void DiskQueue::close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
}

size_t DiskQueue::pending() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
}

}  // namespace edgeinfer::pipeline
