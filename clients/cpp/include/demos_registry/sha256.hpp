// SHA-256 (FIPS 180-4), self-contained so that the client needs no crypto library besides libcurl.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace demos {

/// Incremental SHA-256: feed chunks with update(), read the digest once with hex_digest().
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  /// Lower-case hex digest; finishes the hash (update() afterwards is an error).
  std::string hex_digest();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

/// SHA-256 of a whole string, as lower-case hex.
std::string sha256_hex(std::string_view data);

}  // namespace demos
