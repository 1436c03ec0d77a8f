// SHA-256 against the FIPS 180-4 / NIST example vectors, in one piece and in odd-sized chunks.

#include <iostream>
#include <string>

#include "demos_registry/sha256.hpp"

namespace {

int failures = 0;

void expect_equal(const std::string& what, const std::string& actual, const std::string& expected) {
  if (actual != expected) {
    std::cerr << what << ": " << actual << " != " << expected << '\n';
    ++failures;
  }
}

std::string chunked_sha256(const std::string& data, std::size_t chunk) {
  demos::Sha256 hash;
  for (std::size_t at = 0; at < data.size(); at += chunk) hash.update(std::string_view(data).substr(at, chunk));
  return hash.hex_digest();
}

}  // namespace

int main() {
  const std::string one_block_boundary = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 448 bits
  const std::string two_blocks =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  const std::string million_a(1000000, 'a');

  expect_equal("empty", demos::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  expect_equal("abc", demos::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  expect_equal("448 bits", demos::sha256_hex(one_block_boundary),
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  expect_equal("896 bits", demos::sha256_hex(two_blocks),
               "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  expect_equal("million a", demos::sha256_hex(million_a),
               "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  for (std::size_t chunk : {1, 3, 63, 64, 65, 4096}) {
    expect_equal("million a in chunks of " + std::to_string(chunk), chunked_sha256(million_a, chunk),
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
  if (failures == 0) std::cout << "SHA-256: all vectors match\n";
  return failures == 0 ? 0 : 1;
}
