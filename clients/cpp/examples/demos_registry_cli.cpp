// demos-registry: the C++ client as a command-line program (and an example of using the library).
// Answers are printed as JSON on stdout; errors on stderr, with the exit status telling them apart.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "demos_registry/client.hpp"

namespace {

constexpr const char* kUsage = R"(usage: demos-registry [options] COMMAND [arguments]

options (before the command):
  --url URL              API base (default: $DEMOS_REGISTRY_URL, else https://127.0.0.1:5000/api)
  --insecure             accept a self-signed certificate (development instance)
  --max-retries N        retries of throttled (429) and failed (5xx) requests (default 5)
  --backoff SECONDS      first back-off, doubled per retry, when no Retry-After is named (default 0.5)
  --max-backoff SECONDS  longest wait between attempts (default 60)
  --verbose              say on stderr how long each retry waits
The personal access token is read from $DEMOS_REGISTRY_TOKEN (not an option: others can read
command lines).

commands:
  list [--size N] [--limit N] [--sort S]
  search QUERY [--size N] [--limit N] [--sort S]
  filter [--domain D] [--tag T] [--engine E] [--status S] [--collaboration C] [--format F]
         [--size N] [--limit N]        (repeat a facet for alternatives)
  get ID
  metadata ID
  validation ID
  golden
  download ID [DESTINATION] [--key KEY]     (checks the registry's SHA-256)
           [--format hs3|pyhf]                (the registry's translation of a validated model)
  submit ENTRY.json FILE... [--publish]     (needs the token)

exit status: 0 done, 1 usage or local error, 2 error answer of the API, 3 checksum mismatch,
4 no answer from the registry
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The command's arguments; options are taken out by name, what remains is positional.
class Arguments {
 public:
  explicit Arguments(std::vector<std::string> words) : words_(std::move(words)) {}

  std::vector<std::string> take_all(const std::string& option) {
    std::vector<std::string> values;
    for (auto word = words_.begin(); word != words_.end();) {
      if (*word != option) {
        ++word;
        continue;
      }
      if (word + 1 == words_.end()) throw UsageError(option + " needs a value");
      values.push_back(*(word + 1));
      word = words_.erase(word, word + 2);
    }
    return values;
  }

  std::optional<std::string> take(const std::string& option) {
    auto values = take_all(option);
    if (values.size() > 1) throw UsageError(option + " given twice");
    return values.empty() ? std::nullopt : std::optional<std::string>(values.front());
  }

  bool flag(const std::string& option) {
    const auto before = words_.size();
    words_.erase(std::remove(words_.begin(), words_.end(), option), words_.end());
    return words_.size() != before;
  }

  /// What is left: positional arguments only, between `least` and `most` of them.
  std::vector<std::string> positional(std::size_t least, std::size_t most) const {
    for (const auto& word : words_) {
      if (word.rfind("--", 0) == 0) throw UsageError("unknown option " + word);
    }
    if (words_.size() < least || words_.size() > most) throw UsageError("wrong number of arguments");
    return words_;
  }

 private:
  std::vector<std::string> words_;
};

template <typename Number>
Number number(const std::optional<std::string>& text, Number fallback, const char* option) {
  if (!text) return fallback;
  try {
    std::size_t used = 0;
    const double value = std::stod(*text, &used);
    if (used != text->size() || value < 0) throw std::invalid_argument(*text);
    return static_cast<Number>(value);
  } catch (const std::logic_error&) {
    throw UsageError(std::string(option) + " needs a non-negative number");
  }
}

demos::Page page_of(Arguments& arguments) {
  demos::Page page;
  page.size = number(arguments.take("--size"), page.size, "--size");
  if (const auto limit = arguments.take("--limit")) page.limit = number<std::size_t>(limit, 0, "--limit");
  page.sort = arguments.take("--sort").value_or("");
  return page;
}

demos::Json read_json_file(const std::string& path) {
  std::ifstream stream(path);
  if (!stream) throw std::runtime_error("Cannot read " + path);
  return demos::Json::parse(stream);
}

demos::Json run(const demos::Client& client, const std::string& command, Arguments arguments) {
  if (command == "list") {
    const auto page = page_of(arguments);
    arguments.positional(0, 0);
    return client.list_models(page);
  }
  if (command == "search") {
    const auto page = page_of(arguments);
    return client.search(arguments.positional(1, 1)[0], page);
  }
  if (command == "filter") {
    demos::Filter filter;
    filter.domain = arguments.take_all("--domain");
    filter.tag = arguments.take_all("--tag");
    filter.engine = arguments.take_all("--engine");
    filter.status = arguments.take_all("--status");
    filter.collaboration = arguments.take_all("--collaboration");
    filter.format = arguments.take_all("--format");
    const auto page = page_of(arguments);
    arguments.positional(0, 0);
    return client.filter(filter, page);
  }
  if (command == "get") return client.get(arguments.positional(1, 1)[0]);
  if (command == "metadata") return client.metadata(arguments.positional(1, 1)[0]);
  if (command == "validation") return client.validation(arguments.positional(1, 1)[0]);
  if (command == "golden") {
    arguments.positional(0, 0);
    return client.golden();
  }
  if (command == "download") {
    const auto key = arguments.take("--key").value_or("");
    const auto format = arguments.take("--format");
    const auto words = arguments.positional(1, 2);
    const std::filesystem::path destination = words.size() == 2 ? words[1] : ".";
    if (format) {
      const auto saved = client.download_translated(words[0], *format, destination, key);
      return {{"path", saved.string()}};
    }
    const auto saved = client.download(words[0], destination, key);
    return {{"path", saved.string()}};
  }
  if (command == "submit") {
    const bool publish = arguments.flag("--publish");
    const auto words = arguments.positional(2, SIZE_MAX);
    const std::vector<std::filesystem::path> files(words.begin() + 1, words.end());
    return client.submit(read_json_file(words[0]), files, publish);
  }
  throw UsageError("unknown command " + command);
}

int main_with_exit_status(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  const char* environment_url = std::getenv("DEMOS_REGISTRY_URL");
  std::string base_url = environment_url != nullptr ? environment_url : "https://127.0.0.1:5000/api";
  demos::ClientOptions options;
  if (const char* token = std::getenv("DEMOS_REGISTRY_TOKEN")) options.token = token;

  // Options before the command are the client's; those after it belong to the command.
  std::size_t at = 0;
  const auto value = [&](const std::string& option) {
    if (++at >= words.size()) throw UsageError(option + " needs a value");
    return std::optional<std::string>(words[at]);
  };
  for (; at < words.size() && words[at].rfind("--", 0) == 0; ++at) {
    const std::string option = words[at];
    if (option == "--url") {
      base_url = *value(option);
    } else if (option == "--insecure") {
      options.verify_tls = false;
    } else if (option == "--max-retries") {
      options.max_retries = number(value(option), 0, "--max-retries");
    } else if (option == "--backoff") {
      options.backoff_factor = number(value(option), 0.0, "--backoff");
    } else if (option == "--max-backoff") {
      options.max_backoff = number(value(option), 0.0, "--max-backoff");
    } else if (option == "--verbose") {
      options.sleep = [](double seconds) {
        std::cerr << "retrying in " << seconds << " s\n";
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      };
    } else if (option == "--help") {
      std::cout << kUsage;
      return 0;
    } else {
      throw UsageError("unknown option " + option);
    }
  }
  if (at >= words.size()) throw UsageError("no command");
  const demos::Client client(base_url, options);
  const auto answer = run(client, words[at], Arguments({words.begin() + static_cast<long>(at) + 1, words.end()}));
  std::cout << answer.dump(2) << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return main_with_exit_status(argc, argv);
  } catch (const UsageError& error) {
    std::cerr << "demos-registry: " << error.what() << "\n\n" << kUsage;
    return 1;
  } catch (const demos::ApiError& error) {
    std::cerr << "error " << error.status() << ": " << error.message() << '\n';
    for (const auto& field : error.errors()) std::cerr << "  " << field.dump() << '\n';
    return 2;
  } catch (const demos::ChecksumMismatch& error) {
    std::cerr << "checksum mismatch: " << error.what() << '\n';
    return 3;
  } catch (const demos::TransportError& error) {
    std::cerr << "no answer: " << error.what() << '\n';
    return 4;
  } catch (const std::exception& error) {
    std::cerr << "demos-registry: " << error.what() << '\n';
    return 1;
  }
}
