#include "storage/snapshot_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/log.h"
#include "storage/big_endian.h"
#include "storage/crc32c.h"

namespace conclave::storage {
namespace {

constexpr std::string_view kMagic = "CNSN";
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 4 + 4 + 8 + 8 + 4;
constexpr size_t kCrcOffset = 24;
constexpr std::string_view kPrefix = "snapshot.";
constexpr std::string_view kTmpSuffix = ".tmp";
constexpr size_t kZxidHexDigits = 16;
// Reads are streamed in chunks this big, so verifying a large snapshot needs little memory.
constexpr size_t kReadChunkBytes = size_t{1} << 20;

Error os_error(const std::string& what, int err) {
  return Error(ErrorCode::kSystemError, what + ": " + std::strerror(err));
}

// Parses "snapshot.<16 hex>"; anything else (including .tmp files) is not a snapshot.
std::optional<Zxid> parse_name(std::string_view name) {
  if (name.size() != kPrefix.size() + kZxidHexDigits || name.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : name.substr(kPrefix.size())) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(digit);
  }
  return static_cast<Zxid>(v);
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("writing " + path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Reads exactly `size` bytes; returns false on EOF or error.
bool read_exact(int fd, char* out, size_t size) {
  while (size > 0) {
    ssize_t n = ::read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("opening directory " + dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return os_error("fsync of directory " + dir, err);
  return {};
}

struct DirEntries {
  std::vector<Zxid> snapshots;  // ascending
  std::vector<std::string> tmp_files;
};

Result<DirEntries> read_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return os_error("reading directory " + dir, errno);
  DirEntries out;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (auto zxid = parse_name(name)) {
      out.snapshots.push_back(*zxid);
    } else if (name.substr(0, kPrefix.size()) == kPrefix && name.size() > kTmpSuffix.size() &&
               name.substr(name.size() - kTmpSuffix.size()) == kTmpSuffix) {
      out.tmp_files.emplace_back(name);
    }
  }
  ::closedir(d);
  std::sort(out.snapshots.begin(), out.snapshots.end());
  return out;
}

}  // namespace

std::string SnapshotStore::file_name(Zxid zxid) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "snapshot.%016llx", static_cast<unsigned long long>(zxid));
  return buf;
}

std::string SnapshotStore::path_of(Zxid zxid) const {
  return dir_ + "/" + file_name(zxid);
}

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return os_error("creating snapshot directory " + dir, errno);
  }
  Result<DirEntries> entries = read_dir(dir);
  if (!entries.ok()) return entries.error();
  for (const std::string& tmp : entries->tmp_files) {
    // A crash interrupted this write before its rename; the snapshot never existed.
    log::info("snapshot store ", dir, ": removing unfinished ", tmp);
    ::unlink((dir + "/" + tmp).c_str());
  }
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(dir));
}

Status SnapshotStore::write(Zxid zxid, std::string_view payload) {
  std::lock_guard writer_lock(writer_mu_);
  Status s = write_unpublished(zxid, payload);
  if (!s.ok()) return s;
  return publish_locked(zxid);
}

// Takes no lock and logs nothing: it runs in a forked child (see the header).
Status SnapshotStore::write_unpublished(Zxid zxid, std::string_view payload) const {
  std::string header(kMagic);
  put_u32_be(header, kVersion);
  put_u64_be(header, static_cast<uint64_t>(zxid));
  put_u64_be(header, payload.size());
  put_u32_be(header, crc32c_extend(crc32c(header), payload));

  const std::string tmp = path_of(zxid) + std::string(kTmpSuffix);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return os_error("creating " + tmp, errno);
  Status s = write_all(fd, header, tmp);
  if (s.ok()) s = write_all(fd, payload, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = os_error("fsync of " + tmp, errno);
  if (::close(fd) != 0 && s.ok()) s = os_error("closing " + tmp, errno);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

Status SnapshotStore::publish(Zxid zxid) {
  std::lock_guard writer_lock(writer_mu_);
  return publish_locked(zxid);
}

void SnapshotStore::discard_unpublished(Zxid zxid) {
  ::unlink((path_of(zxid) + std::string(kTmpSuffix)).c_str());
}

Status SnapshotStore::publish_locked(Zxid zxid) {
  const std::string path = path_of(zxid);
  const std::string tmp = path + std::string(kTmpSuffix);
  {
    std::unique_lock files_lock(files_mu_);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      Status err = os_error("renaming " + tmp, errno);
      ::unlink(tmp.c_str());
      return err;
    }
  }
  // Without this the rename itself may not survive a machine crash.
  return fsync_dir(dir_);
}

std::string SnapshotStore::read_and_verify(Zxid zxid, std::string* payload) const {
  const std::string path = path_of(zxid);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot open: ") + std::strerror(errno);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::string("cannot stat: ") + std::strerror(errno);
  char header[kHeaderSize];
  if (!read_exact(fd, header, kHeaderSize)) return "shorter than the header";
  if (std::string_view(header, 4) != kMagic) return "bad magic";
  if (get_u32_be(header + 4) != kVersion) return "unknown format version";
  if (static_cast<Zxid>(get_u64_be(header + 8)) != zxid) return "zxid differs from file name";
  const uint64_t length = get_u64_be(header + 16);
  if (static_cast<uint64_t>(st.st_size) != kHeaderSize + length) {
    return "file size " + std::to_string(st.st_size) + " does not match payload length " +
           std::to_string(length);
  }
  uint32_t crc = crc32c(std::string_view(header, kCrcOffset));
  std::string chunk;
  if (payload != nullptr) {
    payload->resize(length);
    if (!read_exact(fd, payload->data(), length)) return "truncated payload";
    crc = crc32c_extend(crc, *payload);
  } else {
    for (uint64_t left = length; left > 0;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, kReadChunkBytes));
      chunk.resize(n);
      if (!read_exact(fd, chunk.data(), n)) return "truncated payload";
      crc = crc32c_extend(crc, chunk);
      left -= n;
    }
  }
  if (crc != get_u32_be(header + kCrcOffset)) return "checksum mismatch";
  return {};
}

Result<std::optional<Snapshot>> SnapshotStore::load_newest_valid() const {
  std::shared_lock files_lock(files_mu_);
  Result<DirEntries> entries = read_dir(dir_);
  if (!entries.ok()) return entries.error();
  for (auto it = entries->snapshots.rbegin(); it != entries->snapshots.rend(); ++it) {
    Snapshot snap{*it, {}};
    std::string problem = read_and_verify(*it, &snap.payload);
    if (problem.empty()) return std::optional<Snapshot>(std::move(snap));
    log::warn("snapshot store ", dir_, ": skipping ", file_name(*it), ": ", problem);
  }
  return std::optional<Snapshot>();
}

std::vector<Zxid> SnapshotStore::list() const {
  std::shared_lock files_lock(files_mu_);
  Result<DirEntries> entries = read_dir(dir_);
  if (!entries.ok()) {
    log::error("snapshot store: ", entries.error().detail);
    return {};
  }
  return std::move(entries->snapshots);
}

Result<Zxid> SnapshotStore::purge(size_t retain_count) {
  if (retain_count == 0)
    return Error(ErrorCode::kBadArguments, "must retain at least one snapshot");
  std::lock_guard writer_lock(writer_mu_);
  std::vector<Zxid> retained;
  std::vector<Zxid> doomed;
  {
    // Only this thread deletes or renames, so verifying under a shared lock is stable.
    std::shared_lock files_lock(files_mu_);
    Result<DirEntries> entries = read_dir(dir_);
    if (!entries.ok()) return entries.error();
    for (auto it = entries->snapshots.rbegin(); it != entries->snapshots.rend(); ++it) {
      if (retained.size() < retain_count) {
        std::string problem = read_and_verify(*it, nullptr);
        if (problem.empty()) {
          retained.push_back(*it);
          continue;
        }
        log::warn("snapshot store ", dir_, ": deleting corrupt ", file_name(*it), ": ", problem);
      }
      doomed.push_back(*it);
    }
  }
  if (retained.empty()) return Error(ErrorCode::kNoNode, "no valid snapshot in " + dir_);
  {
    std::unique_lock files_lock(files_mu_);
    for (Zxid zxid : doomed) {
      if (::unlink(path_of(zxid).c_str()) != 0 && errno != ENOENT) {
        log::warn("snapshot store ", dir_, ": cannot delete ", file_name(zxid), ": ",
                  std::strerror(errno));
      }
    }
  }
  return retained.back();
}

}  // namespace conclave::storage
