// One progress line on stderr for long-running tools: rewritten in place on
// a terminal, one line per update otherwise (logs, CI), with notes printed
// on lines of their own below it. Single-threaded use.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

namespace inventory {

class ProgressLine {
 public:
  ProgressLine() : tty_(::isatty(STDERR_FILENO) == 1) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void Print(const std::string& line) {
    if (tty_) {
      std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
      line_open_ = true;
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }
  // A message on its own line, below the progress line.
  void Note(const std::string& text) {
    Finish();
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
  }
  // Ends the progress line (on a terminal) so later output starts afresh.
  void Finish() {
    if (line_open_) std::fputc('\n', stderr);
    line_open_ = false;
  }

 private:
  const bool tty_;
  bool line_open_ = false;
};

}  // namespace inventory
