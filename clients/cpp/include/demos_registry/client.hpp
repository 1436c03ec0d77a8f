// C++17 client of the DEMOS Model Registry API (/api/models), on libcurl and nlohmann-json.
//
// It behaves like the Python client (clients/python): throttled answers (429) are retried after
// the server's Retry-After, failed ones (500/502/503/504) with exponential back-off when the
// request is idempotent; lists are paged through; downloads are checked against the registry's
// SHA-256; error answers become ApiError with the server's JSON message.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace demos {

using Json = nlohmann::json;

namespace detail {
struct Request;
struct Response;
class BodySink;
}  // namespace detail

/// An error answer of the API: HTTP status, the server's message, per-field errors, whole body.
class ApiError : public std::runtime_error {
 public:
  ApiError(long status, std::string message, Json errors = Json::array(), Json body = nullptr);
  long status() const noexcept { return status_; }
  const std::string& message() const noexcept { return message_; }
  /// [{"field": ..., "messages": [...]}, ...] of a 400, else empty.
  const Json& errors() const noexcept { return errors_; }
  /// The parsed JSON answer (null when the server, or a proxy, answered something else).
  const Json& body() const noexcept { return body_; }

 private:
  long status_;
  std::string message_;
  Json errors_;
  Json body_;
};

/// A downloaded file whose SHA-256 differs from the registry's (nothing is left on disk).
class ChecksumMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// No HTTP answer at all (refused connection, timeout, TLS failure) after the allowed retries.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClientOptions {
  /// Personal access token (web UI → Applications); empty: anonymous, read-only.
  std::string token;
  /// false accepts the self-signed certificate of a development instance.
  bool verify_tls = true;
  /// Seconds to connect, and most seconds a transfer may stall.
  long timeout_seconds = 60;
  int max_retries = 5;
  /// First back-off in seconds, doubled per attempt when the server names no Retry-After.
  double backoff_factor = 0.5;
  /// Cap of the back-off and of the server's Retry-After, in seconds.
  double max_backoff = 60.0;
  /// How to wait between attempts (seconds); empty: sleep the thread. Tests pass their own.
  std::function<void(double)> sleep;
};

/// Which part of a list: `size` models per request, `limit` in total (none: every page).
struct Page {
  int size = 50;
  std::string sort;
  std::optional<std::size_t> limit;
};

/// Facets of GET /models/filter; several values of one facet are alternatives.
struct Filter {
  std::vector<std::string> domain;
  std::vector<std::string> tag;
  std::vector<std::string> engine;
  std::vector<std::string> status;
  std::vector<std::string> collaboration;
  std::vector<std::string> format;
};

/// One registry, e.g. Client("https://models.example.org/api", options_with_token).
/// Every call is a fresh libcurl transfer, so one Client may be shared between threads.
class Client {
 public:
  explicit Client(std::string base_url, ClientOptions options = {});

  /// Published models, newest first unless sorted otherwise.
  std::vector<Json> list_models(const Page& page = {}) const;
  /// Models matching a query in Invenio's syntax, e.g. `custom_fields.demos\:domain.id:neutrino`.
  std::vector<Json> search(const std::string& query, const Page& page = {}) const;
  std::vector<Json> filter(const Filter& filter, const Page& page = {}) const;
  /// A model (registry entry, status, links) by record id or model id.
  Json get(const std::string& model_id) const;
  /// The seed's registry-entry JSON, with the SHA-256 of every file.
  Json metadata(const std::string& model_id) const;
  Json validation(const std::string& model_id) const;
  /// Every published model whose validation passed, with checksums.
  Json golden() const;

  /// Saves a model file (`key`, else the model's selected file) into a folder, or to a file path.
  /// Throws ChecksumMismatch, keeping nothing, when its SHA-256 is not the registry's.
  std::filesystem::path download(const std::string& model_id,
                                 const std::filesystem::path& destination = ".",
                                 const std::string& key = "", bool verify = true) const;
  /// Saves a validated model translated by the registry's engine into `format` ("hs3" or "pyhf"),
  /// named "<stem>.<format>.json"; the translation's cross-engine agreement is
  /// get_json("/models/ID/translation?format=..."). Throws ApiError (422 with the reason) when
  /// the model cannot be translated.
  std::filesystem::path download_translated(const std::string& model_id, const std::string& format,
                                            const std::filesystem::path& destination = ".",
                                            const std::string& key = "") const;

  /// Submits a model (registry entry or Invenio record data, and its files) with the token.
  /// It goes to its domain community for review; `publish` publishes it where the user may.
  /// One Idempotency-Key is sent with every attempt, so a retried submission creates one model.
  Json submit(const Json& entry, const std::vector<std::filesystem::path>& files,
              bool publish = false) const;

  /// GET any API path (e.g. "/models/tags?prefix=gam") as JSON.
  Json get_json(const std::string& path) const;

 private:
  using Request = detail::Request;
  using Response = detail::Response;
  using BodySink = detail::BodySink;
  using Query = std::vector<std::pair<std::string, std::string>>;

  std::string url(const std::string& path, const Query& query = {}) const;
  std::vector<Json> hits(const std::string& path, const Query& query, const Page& page) const;
  Response send(const Request& request, BodySink* sink = nullptr) const;
  Response perform(const Request& request, BodySink* sink) const;
  double delay(int attempt, const Response* response) const;
  void pause(double seconds) const;

  std::string base_url_;
  ClientOptions options_;
};

}  // namespace demos
