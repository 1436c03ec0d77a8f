#include "demos_registry/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "demos_registry/sha256.hpp"

namespace demos {

namespace detail {

struct Upload {
  std::string metadata;
  std::vector<std::filesystem::path> files;
};

struct Request {
  std::string url;
  /// Set: a multipart POST of a submission; unset: a GET.
  std::optional<Upload> upload;
  /// Makes a POST safe to retry: the server answers the first attempt's model again.
  std::string idempotency_key;

  bool idempotent() const { return !upload || !idempotency_key.empty(); }
};

struct Response {
  long status = 0;
  std::string reason;
  /// Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
  /// Set when no answer came (refused, timed out, TLS): then status is 0.
  std::string transport_error;

  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

/// Receives the body of a successful answer instead of the Response (downloads stream to disk).
class BodySink {
 public:
  virtual ~BodySink() = default;
  /// Called when a successful answer's body begins, once per attempt (a retry starts afresh).
  virtual void start(const Response& response) = 0;
  virtual void write(const char* data, std::size_t size) = 0;
};

}  // namespace detail

namespace {

using detail::BodySink;
using detail::Request;
using detail::Response;

constexpr const char* kUserAgent = "demos-registry-client-cpp/0.1";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string percent_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += {'%', kHex[c >> 4], kHex[c & 0xf]};
    }
  }
  return encoded;
}

std::string percent_decode(const std::string& text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      decoded.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

/// The file name of a Content-Disposition header (filename*= preferred), reduced to a bare name
/// so that a hostile header cannot write outside the destination folder.
std::string attachment_name(const std::string& disposition) {
  std::string plain;
  std::string extended;
  std::size_t start = 0;
  while (start <= disposition.size()) {
    const std::size_t end = std::min(disposition.find(';', start), disposition.size());
    const std::string parameter = trim(disposition.substr(start, end - start));
    const std::size_t equals = parameter.find('=');
    if (equals != std::string::npos) {
      const std::string name = lower(trim(parameter.substr(0, equals)));
      std::string value = trim(parameter.substr(equals + 1));
      if (name == "filename*") {
        const std::size_t quote = value.find("''");  // charset''percent-encoded
        extended = percent_decode(quote == std::string::npos ? value : value.substr(quote + 2));
      } else if (name == "filename") {
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        plain = value;
      }
    }
    start = end + 1;
  }
  const std::string name = std::filesystem::path(extended.empty() ? plain : extended).filename().string();
  return name == "." || name == ".." ? std::string() : name;
}

std::string random_uuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device entropy;
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string uuid = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  for (char& c : uuid) {
    if (c == 'x') c = kHex[nibble(entropy)];
    if (c == 'y') c = kHex[8 + nibble(entropy) % 4];  // the RFC 4122 variant
  }
  return uuid;
}

Json json_of(const Response& response) {
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    throw std::runtime_error("The registry answered " + std::to_string(response.status) +
                             " with something that is not JSON: " + response.body.substr(0, 200));
  }
  return body;
}

ApiError api_error(const Response& response) {
  const std::string reason = response.reason.empty() ? "HTTP error" : response.reason;
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return ApiError(response.status, response.body.empty() ? reason : response.body.substr(0, 500));
  }
  if (!body.is_object()) return ApiError(response.status, body.dump().substr(0, 500), Json::array(), body);
  const auto message = body.find("message");
  const auto errors = body.find("errors");
  return ApiError(response.status, message != body.end() && message->is_string() ? message->get<std::string>() : reason,
                  errors != body.end() && errors->is_array() ? *errors : Json::array(), body);
}

bool retryable(const Response& response, bool idempotent) {
  if (response.status == 429) return true;  // throttled: the request was not processed
  const bool server_failed = response.status == 500 || response.status == 502 || response.status == 503 ||
                             response.status == 504;
  return server_failed && idempotent;
}

/// libcurl's transfer of one attempt and what its callbacks found.
struct Transfer {
  CURL* handle;
  Response* response;
  BodySink* sink;
  bool body_started = false;
  bool streaming = false;
  std::exception_ptr failure;  // exceptions must not cross libcurl's C frames
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::string line(data, size * count);
  if (line.compare(0, 5, "HTTP/") == 0) {  // a new answer (after a redirect or 100 Continue)
    transfer.response->headers.clear();
    const std::size_t code = line.find(' ');
    const std::size_t reason = code == std::string::npos ? code : line.find(' ', code + 1);
    transfer.response->reason = reason == std::string::npos ? std::string() : trim(line.substr(reason + 1));
  } else if (const std::size_t colon = line.find(':'); colon != std::string::npos) {
    transfer.response->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  try {
    if (!transfer.body_started) {
      transfer.body_started = true;
      curl_easy_getinfo(transfer.handle, CURLINFO_RESPONSE_CODE, &transfer.response->status);
      transfer.streaming = transfer.sink != nullptr && transfer.response->status < 400;
      if (transfer.streaming) transfer.sink->start(*transfer.response);
    }
    if (transfer.streaming) {
      transfer.sink->write(data, bytes);
    } else {
      transfer.response->body.append(data, bytes);
    }
    return bytes;
  } catch (...) {
    transfer.failure = std::current_exception();
    return 0;  // fewer bytes than given: libcurl aborts the transfer
  }
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using CurlHandle = std::unique_ptr<CURL, Deleter<CURL, curl_easy_cleanup>>;
using CurlHeaders = std::unique_ptr<curl_slist, Deleter<curl_slist, curl_slist_free_all>>;
using CurlMime = std::unique_ptr<curl_mime, Deleter<curl_mime, curl_mime_free>>;

/// Writes a successful download into "<target>.part", hashing it, and moves it into place only
/// once accepted; whatever is left unaccepted is removed.
class FileDownload final : public BodySink {
 public:
  FileDownload(std::filesystem::path destination, std::string key)
      : destination_(std::move(destination)), key_(std::move(key)) {}
  FileDownload(const FileDownload&) = delete;
  FileDownload& operator=(const FileDownload&) = delete;
  ~FileDownload() override {
    stream_.close();
    if (!partial_.empty() && !accepted_) {
      std::error_code ignored;
      std::filesystem::remove(partial_, ignored);
    }
  }

  void start(const Response& response) override {
    name_ = attachment_name(response.header("content-disposition"));
    if (name_.empty()) name_ = key_.empty() ? "model" : key_;
    target_ = std::filesystem::is_directory(destination_) ? destination_ / name_ : destination_;
    partial_ = target_;
    partial_ += ".part";
    announced_sha256_ = lower(response.header("x-checksum-sha256"));
    stream_.close();
    stream_.open(partial_, std::ios::binary | std::ios::trunc);
    if (!stream_) throw std::runtime_error("Cannot write " + partial_.string());
    hash_ = Sha256();
  }

  void write(const char* data, std::size_t size) override {
    stream_.write(data, static_cast<std::streamsize>(size));
    if (!stream_) throw std::runtime_error("Cannot write " + partial_.string());
    hash_.update(data, size);
  }

  /// The file name the registry gave (known once the answer started).
  const std::string& name() const { return name_; }
  const std::string& announced_sha256() const { return announced_sha256_; }

  /// Finishes the file and returns its SHA-256.
  std::string finish() {
    stream_.close();
    if (stream_.fail()) throw std::runtime_error("Cannot write " + partial_.string());
    return hash_.hex_digest();
  }

  std::filesystem::path accept() {
    std::filesystem::rename(partial_, target_);
    accepted_ = true;
    return target_;
  }

 private:
  std::filesystem::path destination_;
  std::string key_;
  std::string name_;
  std::string announced_sha256_;
  std::filesystem::path target_;
  std::filesystem::path partial_;
  std::ofstream stream_;
  Sha256 hash_;
  bool accepted_ = false;
};

}  // namespace

ApiError::ApiError(long status, std::string message, Json errors, Json body)
    : std::runtime_error(std::to_string(status) + ": " + message),
      status_(status),
      message_(std::move(message)),
      errors_(std::move(errors)),
      body_(std::move(body)) {}

Client::Client(std::string base_url, ClientOptions options)
    : base_url_(std::move(base_url)), options_(std::move(options)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  static std::once_flag curl_ready;  // libcurl's global set-up is not thread-safe: once per process
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Client::url(const std::string& path, const Query& query) const {
  const bool absolute = path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0;
  std::string url = absolute ? path : base_url_ + path;
  char separator = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : query) {
    url += separator + percent_encode(name) + "=" + percent_encode(value);
    separator = '&';
  }
  return url;
}

Client::Response Client::perform(const Request& request, BodySink* sink) const {
  Response response;
  CurlHandle handle(curl_easy_init());
  if (!handle) throw std::runtime_error("libcurl could not start a transfer");
  CURL* curl = handle.get();

  std::vector<std::string> header_lines = {"Accept: application/json", "Expect:"};  // Expect: no 100-continue wait
  if (!options_.token.empty()) header_lines.push_back("Authorization: Bearer " + options_.token);
  if (!request.idempotency_key.empty()) header_lines.push_back("Idempotency-Key: " + request.idempotency_key);
  CurlHeaders headers;
  for (const auto& line : header_lines) {
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended == nullptr) throw std::bad_alloc();
    headers.release();  // the list's head is unchanged by appending: hand it back to the owner
    headers.reset(appended);
  }

  Transfer transfer{curl, &response, sink, false, false, nullptr};
  char error_text[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled transfer, not a long one, times out
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options_.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);

  CurlMime form;
  if (request.upload) {
    form.reset(curl_mime_init(curl));
    curl_mimepart* metadata = curl_mime_addpart(form.get());
    curl_mime_name(metadata, "metadata");
    curl_mime_data(metadata, request.upload->metadata.data(), request.upload->metadata.size());
    for (const auto& file : request.upload->files) {
      curl_mimepart* part = curl_mime_addpart(form.get());
      curl_mime_name(part, "file");
      curl_mime_filedata(part, file.c_str());  // streamed from disk, named by its file name
    }
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, form.get());
  }

  const CURLcode code = curl_easy_perform(curl);
  if (transfer.failure) std::rethrow_exception(transfer.failure);
  if (code != CURLE_OK) {
    response.transport_error = (error_text[0] != '\0' ? error_text : curl_easy_strerror(code));
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (sink != nullptr && !transfer.body_started && response.status < 400) sink->start(response);  // empty file
  return response;
}

Client::Response Client::send(const Request& request, BodySink* sink) const {
  for (int attempt = 0;; ++attempt) {
    Response response = perform(request, sink);
    const bool may_retry = attempt < options_.max_retries;
    if (!response.transport_error.empty()) {
      if (!request.idempotent() || !may_retry) {
        throw TransportError(request.url + ": " + response.transport_error);
      }
      pause(delay(attempt, nullptr));
      continue;
    }
    if (response.status < 400) return response;
    if (!may_retry || !retryable(response, request.idempotent())) throw api_error(response);
    pause(delay(attempt, &response));
  }
}

double Client::delay(int attempt, const Response* response) const {
  const std::string retry_after = response != nullptr ? response->header("retry-after") : std::string();
  if (!retry_after.empty()) {
    char* end = nullptr;
    const double seconds = std::strtod(retry_after.c_str(), &end);
    if (end != retry_after.c_str() && *end == '\0' && std::isfinite(seconds)) {
      return std::clamp(seconds, 0.0, options_.max_backoff);
    }
    const std::time_t when = curl_getdate(retry_after.c_str(), nullptr);  // the HTTP-date form
    if (when != -1) {
      return std::clamp(std::difftime(when, std::time(nullptr)), 0.0, options_.max_backoff);
    }
  }
  return std::min(options_.backoff_factor * std::pow(2.0, attempt), options_.max_backoff);
}

void Client::pause(double seconds) const {
  if (options_.sleep) {
    options_.sleep(seconds);
  } else {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
}

Json Client::get_json(const std::string& path) const { return json_of(send(Request{url(path), {}, {}})); }

std::vector<Json> Client::hits(const std::string& path, const Query& query, const Page& page) const {
  Query first_page = query;
  first_page.emplace_back("size", std::to_string(page.size));
  if (!page.sort.empty()) first_page.emplace_back("sort", page.sort);
  std::vector<Json> found;
  std::string next = url(path, first_page);
  const auto full = [&] { return page.limit && found.size() >= *page.limit; };
  while (!next.empty() && !full()) {
    const Json answer = json_of(send(Request{next, {}, {}}));
    for (const auto& hit : answer.at("hits")) {
      if (full()) break;
      found.push_back(hit);
    }
    const auto links = answer.find("links");
    const bool has_next = links != answer.end() && links->contains("next") && links->at("next").is_string();
    next = has_next ? links->at("next").get<std::string>() : std::string();
  }
  return found;
}

std::vector<Json> Client::list_models(const Page& page) const { return hits("/models", {}, page); }

std::vector<Json> Client::search(const std::string& query, const Page& page) const {
  return hits("/models/search", {{"q", query}}, page);
}

std::vector<Json> Client::filter(const Filter& filter, const Page& page) const {
  Query query;
  const std::pair<const char*, const std::vector<std::string>*> facets[] = {
      {"domain", &filter.domain}, {"tag", &filter.tag},
      {"engine", &filter.engine}, {"status", &filter.status},
      {"collaboration", &filter.collaboration}, {"format", &filter.format},
  };
  for (const auto& [name, values] : facets) {
    for (const auto& value : *values) query.emplace_back(name, value);
  }
  return hits("/models/filter", query, page);
}

Json Client::get(const std::string& model_id) const { return get_json("/models/" + percent_encode(model_id)); }

Json Client::metadata(const std::string& model_id) const {
  return get_json("/models/" + percent_encode(model_id) + "/metadata");
}

Json Client::validation(const std::string& model_id) const {
  return get_json("/models/" + percent_encode(model_id) + "/validation");
}

Json Client::golden() const { return get_json("/models/golden"); }

std::filesystem::path Client::download(const std::string& model_id, const std::filesystem::path& destination,
                                       const std::string& key, bool verify) const {
  const std::string path = "/models/" + percent_encode(model_id) + "/file";
  FileDownload file(destination, key);
  send(Request{url(path, key.empty() ? Query{} : Query{{"key", key}}), {}, {}}, &file);
  const std::string digest = file.finish();
  if (verify) {
    // The record's checksum, not only the header of the very answer being checked.
    std::string expected = file.announced_sha256();
    for (const auto& entry : metadata(model_id).value("files", Json::array())) {
      if (entry.value("file", "") == file.name() && entry.contains("sha256") && entry["sha256"].is_string()) {
        expected = lower(entry["sha256"].get<std::string>());
      }
    }
    if (digest != expected) {
      throw ChecksumMismatch(file.name() + ": SHA-256 " + digest + " != registry's " +
                             (expected.empty() ? "(none)" : expected));
    }
  }
  return file.accept();
}

std::filesystem::path Client::download_translated(const std::string& model_id, const std::string& format,
                                                  const std::filesystem::path& destination,
                                                  const std::string& key) const {
  Query query{{"format", format}};
  if (!key.empty()) query.emplace_back("key", key);
  FileDownload file(destination, key);
  send(Request{url("/models/" + percent_encode(model_id) + "/file", query), {}, {}}, &file);
  file.finish();  // made on the fly: no stored digest to compare with
  return file.accept();
}

Json Client::submit(const Json& entry, const std::vector<std::filesystem::path>& files, bool publish) const {
  for (const auto& file : files) {
    if (!std::filesystem::is_regular_file(file) || !std::ifstream(file, std::ios::binary)) {
      throw std::runtime_error("Cannot read " + file.string());
    }
  }
  Request request{url("/models", publish ? Query{{"publish", "true"}} : Query{}),
                  detail::Upload{entry.dump(), files}, random_uuid()};
  return json_of(send(request));
}

}  // namespace demos
