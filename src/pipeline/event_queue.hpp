// pipeline::DiskQueue: a durable FIFO of event records in append-only journal files under a spool
// folder; a record is removed only when acknowledged, and what was not survives a restart.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "edgeinfer/status.hpp"
#include "pipeline/line_file.hpp"

namespace edgeinfer::pipeline {

struct DiskQueueOptions {
    size_t records_per_segment = 1000;  // a journal file is closed after this many records
    bool fsync = true;                  // fsync each appended record (durable across power loss)
    WriteFn write{};                    // journal writes (empty: ::write); tests inject ENOSPC here
    // Space kept free in the spool's file system: an event is refused (push() says so) unless the free
    // space exceeds its record plus this reserve, so acknowledgements (which need a little space) can
    // still be written and the queue drains instead of filling the disk to the last byte.
    uint64_t reserve_bytes = uint64_t{1} << 20;
    // Free bytes of the file system holding the spool (empty: statvfs); tests inject a full disk here.
    std::function<Result<uint64_t>(const std::filesystem::path&)> free_bytes{};
};

// Layout: <dir>/journal-NNNNNNNNNN.log holds records as "<length>:<crc32>\t<bytes>\n" (CRC-32 of the
// bytes in 8 hex digits; journals of earlier versions, "<length>\t<bytes>\n", are read too); its companion
// journal-NNNNNNNNNN.ack holds how many of them were acknowledged. A journal whose records are all
// acknowledged is deleted once a newer one exists. A record is appended with one write and fsync'd
// before push() returns OK; a failed append (disk full) is cut back off the journal and push() says
// so, the records queued before it stay. A record torn by a crash mid-write is cut off when the queue
// is opened again, as is an acknowledgement file left half written (.ack.tmp). Acknowledgement counts
// are written after delivery, so a crash (or a full disk) between the two delivers a record again:
// at least once. A record whose bytes no longer match their checksum (a damaged disk) is skipped when
// the queue is opened and counted in corrupt(). One producer thread or more, one consumer thread.
class DiskQueue {
  public:
    static Result<std::unique_ptr<DiskQueue>> open(const std::filesystem::path& dir, DiskQueueOptions options = {});
    ~DiskQueue();
    DiskQueue(const DiskQueue&) = delete;
    DiskQueue& operator=(const DiskQueue&) = delete;

    // Appends a record (durably) and wakes the consumer.
    Status push(const std::string& record);
    // The oldest unacknowledged record, waiting up to `timeout_ms` for one; nullopt if none came
    // or the queue was closed.
    std::optional<std::string> front(int timeout_ms);
    // Acknowledges the record front() returned: it will never be returned again.
    Status ack();
    // Wakes a consumer blocked in front().
    void close();

    size_t pending() const;
    // Records recovered from journals when the queue was opened.
    size_t recovered() const { return recovered_; }
    // Records skipped when the queue was opened because their checksum did not match.
    size_t corrupt() const { return corrupt_; }
    const std::filesystem::path& dir() const { return dir_; }

  private:
    DiskQueue(std::filesystem::path dir, DiskQueueOptions options) : dir_(std::move(dir)), options_(options) {}
    struct Entry {
        uint64_t segment;
        std::string payload;
    };
    Status load();
    Status open_segment(uint64_t segment, size_t existing_records);
    Status write_ack(uint64_t segment, size_t acked);
    void remove_segment(uint64_t segment);
    std::filesystem::path log_path(uint64_t segment) const;
    std::filesystem::path ack_path(uint64_t segment) const;

    std::filesystem::path dir_;
    DiskQueueOptions options_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Entry> entries_;
    std::unique_ptr<LineFile> active_;
    uint64_t active_segment_ = 0;
    size_t active_records_ = 0;
    // Per segment still on disk: records written, records acknowledged.
    std::deque<std::tuple<uint64_t, size_t, size_t>> segments_;
    size_t recovered_ = 0;
    size_t corrupt_ = 0;
    bool closed_ = false;
};

}  // namespace edgeinfer::pipeline
