// A test program's scratch folders: made fresh under the system temp folder, named with the process id so
// parallel runs do not meet, and removed after the program's last test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace edgeinfer::testing {

// Removes every folder make_scratch_dir made, after the last test.
class ScratchDirCleanup : public ::testing::Environment {
  public:
    static std::vector<std::filesystem::path>& dirs() {
        static std::vector<std::filesystem::path> made;
        return made;
    }
    void TearDown() override {
        for (const auto& d : dirs()) {
            std::error_code ec;
            std::filesystem::remove_all(d, ec);
        }
    }
};
inline const auto* const kScratchDirCleanup = ::testing::AddGlobalTestEnvironment(new ScratchDirCleanup);

// An empty folder <temp>/<name>_<pid> (emptied if a run with this pid left it), removed after the last test.
inline std::filesystem::path make_scratch_dir(const std::string& name) {
    std::filesystem::path p = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    ScratchDirCleanup::dirs().push_back(p);
    return p;
}

}  // namespace edgeinfer::testing
