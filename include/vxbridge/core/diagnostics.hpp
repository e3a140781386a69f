// Problems found while loading files: collected, then reported together as file:line:col.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace vx::core {

struct problem {
    std::string file;
    int line = 0;  // 1-based, 0 = whole file
    int col = 0;
    std::string message;

    std::string to_string() const;  // "file:line:col: message"
};

class diagnostics {
  public:
    void add(std::string file, int line, int col, std::string message);
    void merge(const diagnostics& other);
    bool empty() const { return problems_.empty(); }
    const std::vector<problem>& problems() const { return problems_; }
    std::string to_string() const;  // one problem per line

  private:
    std::vector<problem> problems_;
};

// Thrown once, after loading, when any problem was found.
class load_error : public std::runtime_error {
  public:
    explicit load_error(diagnostics d);
    const diagnostics& problems() const { return diag_; }

  private:
    diagnostics diag_;
};

}  // namespace vx::core
