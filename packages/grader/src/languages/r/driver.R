# Runs graded R code inside the sandbox and reports what the grader asked for.
#
# Protocol (runner.ts is the other side):
# - fd 3, grader -> driver: sections `<name> <byte length>\n<payload>` in a fixed order: spec,
#   setUpCode, tearDownCode, names, expressions, token; list payloads are items
#   "<byte length>\n<bytes>". fd 3 is a socket, which R's file() cannot open (ENXIO), so sections are
#   read through pipe() by a shell whose `read` takes a header byte by byte and whose `head -c` takes
#   exactly the payload: spec and setUpCode before graded code runs, tearDownCode, names and
#   expressions after the script, so that test code still to come is in the socket, not in this
#   interpreter, while graded code runs.
# - fd 4, driver -> grader: one report `<token> <length>\n<payload><token> end\n`. The token never
#   enters this interpreter: the last shell reads it from fd 3 and writes the frame around the
#   payload it gets from here. payload = "<JSON byte length>\n<JSON><binary>": logical, integer,
#   double and complex vectors travel as little-endian binary in <binary> (exact doubles, NA apart
#   from NaN), the JSON says where.
#
# Order, as in the original engine's wrapper: setUpCode, the script, tearDownCode, then the values.
# The script is parsed whole and its top-level expressions are evaluated in the global environment
# without printing their values, as source() does. Warnings are recorded and muffled (they do not
# stop the run); an error ends the run and is reported with the line of the top-level expression
# it came from. quit()/q() with status 0 ends the script (the test code after it still runs); with
# another status, or called from setUpCode or tearDownCode, it fails the run.
#
# Graded code shares this interpreter: it can reach the driver's frames (sys.frames()) and read fd 3
# itself. The driver keeps its state out of the simple ways: its code runs in an environment of its
# own whose parent is the base environment, with the base functions it uses copied in before graded
# code runs, bindings locked; nothing of the driver is in the global environment.

# The interpreter's own reading of a script file is slow (~0.1 s for this one): this first expression
# parses the file at once and runs the second one, which always ends the process.
eval(parse(file = sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]]), keep.source = FALSE)[[2L]])

local({
  # The byte-code compiler would compile each driver function on its first call (~80 ms in all, for
  # functions that run once): it is off for the driver and back at its level for graded code.
  jit_level <- .Internal(enableJIT(0L))
  driver <- quote({
    MAX_SECTION <- 64 * 1024 * 1024
    MAX_DEPTH <- 64L
    MAX_ELEMENTS <- 2000000
    MAX_STR <- 1000000L
    MAX_WARNINGS <- 100L
    HEAD <- "/usr/bin/head"
    CAT <- "/usr/bin/cat"

    state <- new.env(parent = emptyenv())

    condition <- function(class, message) structure(class = c(class, "condition"), list(message = message, call = NULL))
    spec_error <- function(what) stop(condition(c("computorSpecError", "error"), what))

    # ---- fd 3 -------------------------------------------------------------------------------
    # Reads the next section, `group`, through one shell: dash's `read` takes the header byte by
    # byte and `head -c` exactly the payload, so nothing after it leaves the socket. A group holds
    # sections of its own (`parts`), in the same framing.
    read_group <- function(group, parts) {
      script <- sprintf("IFS=' ' read -r n l <&3 && [ \"$n\" = %s ] && exec %s -c \"$l\" <&3", group, HEAD)
      con <- pipe(script, open = "rb")
      on.exit(close(con))
      chunks <- list()
      repeat {
        chunk <- readBin(con, "raw", 65536L)
        if (length(chunk) == 0L) break
        chunks[[length(chunks) + 1L]] <- chunk
      }
      data <- unlist(chunks, use.names = FALSE)
      if (is.null(data)) data <- raw(0)
      out <- list()
      pos <- 1
      for (name in parts) {
        nl <- match(as.raw(10L), data[pos:min(length(data), pos + 64)])
        if (is.na(nl)) spec_error(paste("missing section", name))
        header <- strsplit(rawToChar(data[pos:(pos + nl - 2)]), " ", fixed = TRUE)[[1L]]
        n <- suppressWarnings(as.numeric(header[2L]))
        if (length(header) != 2L || header[1L] != name || is.na(n) || n < 0 || n > MAX_SECTION) spec_error(paste("bad section", name))
        start <- pos + nl
        if (start + n - 1 > length(data)) spec_error(paste("short section", name))
        out[[name]] <- if (n == 0) raw(0) else data[start:(start + n - 1)]
        pos <- start + n
      }
      if (pos != length(data) + 1) spec_error(paste("trailing data in", group))
      out
    }

    items <- function(bytes) {
      out <- character(0)
      pos <- 1
      n <- length(bytes)
      while (pos <= n) {
        nl <- match(as.raw(10L), bytes[pos:min(n, pos + 20)])
        if (is.na(nl)) spec_error("bad item")
        len <- suppressWarnings(as.numeric(rawToChar(bytes[pos:(pos + nl - 1)])))
        start <- pos + nl
        end <- start + len - 1
        if (is.na(len) || end > n) spec_error("bad item length")
        item <- if (len == 0) "" else rawToChar(bytes[start:end])
        Encoding(item) <- "UTF-8"
        out[[length(out) + 1L]] <- item
        pos <- end + 1
      }
      out
    }

    # ---- JSON pieces ------------------------------------------------------------------------
    jstr <- function(s) {
      if (length(s) == 0L) return(character(0))
      s <- as.character(s)
      bad <- !is.na(s) & !validUTF8(s)
      if (any(bad)) s[bad] <- iconv(s[bad], "latin1", "UTF-8", sub = "?")
      s[is.na(s)] <- ""
      s <- gsub("\\", "\\\\", s, fixed = TRUE)
      s <- gsub("\"", "\\\"", s, fixed = TRUE)
      ctl <- grepl("[\001-\037]", s)
      if (any(ctl)) s[ctl] <- vapply(s[ctl], escape_controls, "", USE.NAMES = FALSE)
      paste0("\"", s, "\"")
    }

    escape_controls <- function(one) {
      codes <- utf8ToInt(one)
      if (anyNA(codes)) return(gsub("[\001-\037]", "?", one, useBytes = TRUE))
      chars <- intToUtf8(codes, multiple = TRUE)
      low <- codes < 32L
      chars[low] <- sprintf("\\u%04x", codes[low])
      paste(chars, collapse = "")
    }

    jarr <- function(parts) paste0("[", paste(parts, collapse = ","), "]")
    jint <- function(n) sprintf("%.0f", n)

    # Character vector with NA as null; strings longer than MAX_STR are cut and listed.
    jstrings <- function(s) {
      s <- as.character(s)
      lens <- nchar(s, type = "chars", allowNA = TRUE, keepNA = FALSE)
      long <- which(!is.na(lens) & lens > MAX_STR)
      if (length(long) > 0L) s[long] <- substr(s[long], 1L, MAX_STR)
      parts <- rep("null", length(s))
      ok <- !is.na(s)
      parts[ok] <- jstr(s[ok])
      out <- paste0("\"v\":", jarr(parts))
      if (length(long) > 0L) out <- paste0(out, ",\"cut\":", jarr(jint(long)), ",\"cutLen\":", jarr(jint(lens[long])))
      out
    }

    # ---- values -----------------------------------------------------------------------------
    spend <- function(n) {
      state$elements <- state$elements + n
      if (state$elements > MAX_ELEMENTS) stop(condition(c("computorTooLarge", "error"), "value too large to transfer"))
    }

    blob <- function(bytes) {
      at <- state$blobBytes
      state$blobs[[length(state$blobs) + 1L]] <- bytes
      state$blobBytes <- at + length(bytes)
      at
    }

    bare <- function(x) {
      attributes(x) <- NULL
      x
    }

    attrs_json <- function(x) {
      out <- ""
      d <- attr(x, "dim", exact = TRUE)
      if (!is.null(d)) out <- paste0(out, ",\"dim\":", jarr(jint(bare(d))))
      cl <- attr(x, "class", exact = TRUE)
      if (!is.null(cl)) out <- paste0(out, ",\"class\":", jarr(jstr(bare(cl))))
      lv <- attr(x, "levels", exact = TRUE)
      if (is.character(lv)) out <- paste0(out, ",\"levels\":{", jstrings(bare(lv)), "}")
      out
    }

    unsupported <- function(x, reason) {
      paste0("{\"t\":\"unsupported\",\"type\":", jstr(paste(c(typeof(x), attr(x, "class", exact = TRUE)), collapse = "/")), ",\"reason\":", jstr(reason), "}")
    }

    encode_atomic <- function(x, type) {
      n <- length(x)
      spend(n)
      data <- bare(x)
      payload <- switch(type,
        logical = writeBin(as.integer(data), raw(), endian = "little"),
        integer = writeBin(data, raw(), endian = "little"),
        double = writeBin(data, raw(), endian = "little"),
        complex = writeBin(data, raw(), endian = "little"),
        raw = data
      )
      paste0("{\"t\":\"", type, "\",\"n\":", jint(n), ",\"at\":", jint(blob(payload)), attrs_json(x), "}")
    }

    encode_character <- function(x) {
      spend(length(x))
      paste0("{\"t\":\"character\",", jstrings(bare(x)), attrs_json(x), "}")
    }

    encode_list <- function(x, depth) {
      n <- length(x)
      spend(n)
      raw_list <- bare(x)
      parts <- character(n)
      for (i in seq_len(n)) parts[[i]] <- encode(raw_list[[i]], depth + 1L)
      out <- paste0("{\"t\":\"list\",\"items\":", jarr(parts))
      nm <- attr(x, "names", exact = TRUE)
      if (!is.null(nm)) out <- paste0(out, ",\"names\":{", jstrings(bare(nm)), "}")
      if (inherits(x, "data.frame")) {
        rn <- attr(x, "row.names", exact = TRUE)
        out <- paste0(out, ",\"nrow\":", jint(length(rn)))
        if (is.character(rn)) out <- paste0(out, ",\"rowNames\":{", jstrings(rn), "}")
      }
      paste0(out, attrs_json(x), "}")
    }

    encode <- function(x, depth = 0L) {
      if (depth > MAX_DEPTH) return(unsupported(x, "nesting too deep"))
      if (is.null(x)) return("{\"t\":\"null\"}")
      if (isS4(x)) return(unsupported(x, "S4 objects are not supported"))
      if (inherits(x, "Date") || inherits(x, "POSIXt")) {
        # As the original's JSON transport: dates and times as their text.
        text <- tryCatch(format(x), error = function(e) NULL)
        if (is.character(text)) {
          spend(length(text))
          return(paste0("{\"t\":\"character\",", jstrings(bare(text)), ",\"class\":", jarr(jstr(bare(attr(x, "class", exact = TRUE)))), "}"))
        }
      }
      type <- typeof(x)
      switch(type,
        logical = ,
        integer = ,
        double = ,
        complex = ,
        raw = encode_atomic(x, type),
        character = encode_character(x),
        list = encode_list(x, depth),
        closure = ,
        builtin = ,
        special = paste0("{\"t\":\"function\",\"src\":", jstr(substr(paste(deparse(x), collapse = "\n"), 1L, MAX_STR)), "}"),
        symbol = ,
        language = paste0("{\"t\":\"language\",\"type\":", jstr(type), ",\"src\":", jstr(substr(paste(deparse(x), collapse = "\n"), 1L, MAX_STR)), "}"),
        unsupported(x, paste("values of type", type, "are not supported"))
      )
    }

    # One value: its JSON, with its blobs appended; errors and oversize become a failed value.
    describe <- function(get_value) {
      state$elements <- 0
      marks <- list(blobs = length(state$blobs), bytes = state$blobBytes)
      tryCatch(
        paste0("{\"ok\":true,\"value\":", encode(get_value()), "}"),
        computorTooLarge = function(e) {
          length(state$blobs) <- marks$blobs
          state$blobBytes <- marks$bytes
          paste0("{\"ok\":true,\"value\":{\"t\":\"unsupported\",\"type\":\"value\",\"reason\":\"value of more than ", jint(MAX_ELEMENTS), " elements is too large to transfer\"}}")
        },
        error = function(e) {
          length(state$blobs) <- marks$blobs
          state$blobBytes <- marks$bytes
          paste0("{\"ok\":false,\"error\":", jstr(substr(conditionMessage(e), 1L, 2000L)), "}")
        }
      )
    }

    # Adds one value to the report; one that does not fit what is left of the budget is replaced.
    collect <- function(key, fetch) {
      blobs_before <- length(state$blobs)
      bytes_before <- state$blobBytes
      piece <- if (is.null(fetch)) "{\"ok\":false,\"missing\":true,\"error\":\"not found\"}" else describe(fetch)
      size <- nchar(piece, type = "bytes") + state$blobBytes - bytes_before
      if (state$used + size > state$budget) {
        length(state$blobs) <- blobs_before
        state$blobBytes <- bytes_before
        piece <- paste0("{\"ok\":false,\"limit\":true,\"error\":\"value of ", jint(size), " bytes is larger than the ", jint(state$budget - state$used), " bytes left of what a run may report\"}")
        size <- nchar(piece, type = "bytes")
      }
      state$used <- state$used + size
      state$keys <- c(state$keys, key)
      state$values <- c(state$values, piece)
    }

    # ---- running code -----------------------------------------------------------------------
    parse_code <- function(file = NULL, text = NULL) {
      exprs <- if (is.null(file)) parse(text = text, keep.source = FALSE) else parse(file = file, keep.source = FALSE)
      with_refs <- if (is.null(file)) parse(text = text, keep.source = TRUE) else parse(file = file, keep.source = TRUE)
      refs <- attr(with_refs, "srcref")
      lines <- if (length(refs) == length(exprs)) vapply(refs, function(r) as.integer(r[[1L]]), 1L) else rep(NA_integer_, length(exprs))
      list(exprs = exprs, lines = lines)
    }

    record_warning <- function(w) {
      if (length(state$warnings) < MAX_WARNINGS) {
        message <- tryCatch(conditionMessage(w), error = function(e) "(warning without a message)")
        state$warnings[[length(state$warnings) + 1L]] <- substr(paste(as.character(message), collapse = " "), 1L, 2000L)
      }
      restart <- findRestart("muffleWarning", w)
      if (!is.null(restart)) invokeRestart(restart)
    }

    fake_quit <- function(save = "default", status = 0, runLast = TRUE) {
      stop(structure(class = c("computorQuit", "condition"), list(message = "quit", call = NULL, status = status)))
    }

    swap_quit <- function(replacement_q, replacement_quit) {
      base <- baseenv()
      for (name in c("q", "quit")) {
        tryCatch(
          {
            unlockBinding(name, base)
            assign(name, if (name == "q") replacement_q else replacement_quit, envir = base)
            lockBinding(name, base)
          },
          error = function(e) NULL
        )
      }
    }

    error_info <- function(e, phase, file) {
      message <- tryCatch(paste(as.character(conditionMessage(e)), collapse = "\n"), error = function(x) "(error without a message)")
      call <- tryCatch(conditionCall(e), error = function(x) NULL)
      shown <- NULL
      if (!is.null(call) && !(is.call(call) && identical(call[[1L]], quote(eval)))) {
        shown <- tryCatch(paste(deparse(call, nlines = 1L), collapse = ""), error = function(x) NULL)
      }
      memory <- grepl("^cannot allocate (vector|memory)|memory exhausted|vector memory (limit|exhausted)", message)
      list(message = substr(message, 1L, 4000L), call = shown, phase = phase, file = file, line = state$line, memory = memory)
    }

    # Runs one phase; FALSE when it ended in an error (recorded in state$error).
    run_phase <- function(phase, parsed_or_error, file = NULL) {
      state$line <- NA_integer_
      if (inherits(parsed_or_error, "error")) {
        state$error <- error_info(parsed_or_error, phase, file)
        return(FALSE)
      }
      exprs <- parsed_or_error$exprs
      lines <- parsed_or_error$lines
      if (jit_level > 0L) {
        .Internal(enableJIT(jit_level))
        on.exit(.Internal(enableJIT(0L)))
      }
      outcome <- tryCatch(
        withCallingHandlers(
          {
            for (i in seq_along(exprs)) {
              state$line <- lines[[i]]
              eval(exprs[[i]], envir = globalenv())
            }
            TRUE
          },
          warning = record_warning
        ),
        computorQuit = function(q) {
          status <- suppressWarnings(as.integer(q$status))
          # The script may end itself; test code (and graded code it calls) may not cut it short.
          if (phase == "script" && length(status) == 1L && !is.na(status) && status == 0L) return(TRUE)
          state$exitCode <- if (length(status) == 1L && !is.na(status) && status != 0L) status else 1L
          message <- if (phase == "script") sprintf("quit() was called with status %s", paste(deparse(q$status), collapse = "")) else "quit() was called"
          state$error <- list(message = message, call = NULL, phase = phase, file = file, line = state$line, memory = FALSE)
          FALSE
        },
        error = function(e) {
          state$error <- error_info(e, phase, file)
          FALSE
        }
      )
      isTRUE(outcome)
    }

    code_of <- function(lines) {
      tryCatch(parse_code(text = if (length(lines) == 0L) "" else paste(lines, collapse = "\n")), error = function(e) e)
    }

    error_json <- function(err) {
      if (is.null(err)) return("")
      paste0(
        ",\"error\":{\"message\":", jstr(err$message),
        if (!is.null(err$call)) paste0(",\"call\":", jstr(err$call)) else "",
        ",\"phase\":", jstr(err$phase),
        if (!is.null(err$file)) paste0(",\"file\":", jstr(err$file)) else "",
        if (!is.na(err$line)) paste0(",\"line\":", jint(err$line)) else "",
        "}"
      )
    }

    main <- function() {
      first <- read_group("before", c("spec", "setUpCode"))
      spec_items <- items(first$spec)
      spec <- list()
      for (i in seq(1L, length(spec_items) - 1L, by = 2L)) spec[[spec_items[[i]]]] <- spec_items[[i + 1L]]
      entry <- spec[["entryPoint"]]
      budget <- as.numeric(spec[["maxValueBytes"]])
      if (is.null(entry) || is.na(budget)) spec_error("incomplete spec")
      state$warnings <- character(0)
      state$blobs <- list()
      state$blobBytes <- 0
      state$exitCode <- 0L
      state$error <- NULL
      phases <- character(0)

      setup <- items(first$setUpCode)
      set.seed(1L)
      swap_quit(fake_quit, fake_quit)
      ok <- run_phase("setUpCode", code_of(setup))
      if (ok) phases <- c(phases, "setUpCode")
      if (ok) {
        ok <- run_phase("script", tryCatch(parse_code(file = entry), error = function(e) e), entry)
        if (ok) phases <- c(phases, "script")
      }
      later <- read_group("after", c("tearDownCode", "names", "expressions"))
      teardown <- items(later$tearDownCode)
      if (ok) {
        ok <- run_phase("tearDownCode", code_of(teardown))
        if (ok) phases <- c(phases, "tearDownCode")
      }
      swap_quit(q, quit)
      wanted <- items(later$names)
      expressions <- items(later$expressions)
      options(warn = -1L)
      state$keys <- character(0)
      state$values <- character(0)
      state$used <- 0
      state$budget <- budget
      if (ok) {
        for (name in wanted) {
          if (!(name %in% state$keys)) {
            found <- tryCatch(exists(name, envir = globalenv(), inherits = FALSE), error = function(e) FALSE)
            if (found) collect(name, function() get(name, envir = globalenv(), inherits = FALSE))
            else collect(name, NULL)
          }
        }
        for (expression in expressions) {
          key <- paste0("=", expression)
          if (!(key %in% state$keys)) collect(key, function() eval(parse(text = expression, keep.source = FALSE), envir = globalenv()))
        }
        phases <- c(phases, "values")
      }
      status <- if (ok) "completed" else if (isTRUE(state$error$memory)) "memory_exceeded" else "error"
      exit_code <- if (ok) 0L else if (state$exitCode != 0L) state$exitCode else 1L
      json <- paste0(
        "{\"status\":\"", status, "\",\"exitCode\":", jint(exit_code),
        ",\"phases\":", jarr(jstr(phases)),
        ",\"warnings\":", jarr(jstr(state$warnings)),
        error_json(state$error),
        ",\"values\":{", if (length(state$keys) > 0L) paste(paste0(jstr(state$keys), ":", state$values), collapse = ",") else "", "}}"
      )
      json_bytes <- charToRaw(json)
      payload <- c(charToRaw(paste0(length(json_bytes), "\n")), json_bytes, unlist(state$blobs, use.names = FALSE))
      # What graded code printed is flushed before the report is written.
      tryCatch(flush(stdout()), error = function(e) NULL)
      tryCatch(flush(stderr()), error = function(e) NULL)
      # The token never enters this interpreter: one shell reads it from fd 3 and frames the payload
      # on fd 4 around it.
      script <- sprintf("IFS=' ' read -r n l <&3 && [ \"$n\" = token ] && t=$(%s -c \"$l\" <&3) && printf '%%s %%s\\n' \"$t\" %s >&4 && %s >&4 && printf '%%s end\\n' \"$t\" >&4", HEAD, jint(length(payload)), CAT)
      con <- pipe(script, open = "wb")
      writeBin(payload, con)
      close(con)
    }
  })

  me <- environment()
  used <- unique(all.names(driver))
  base_functions <- used[vapply(used, function(n) exists(n, envir = baseenv(), inherits = FALSE) && is.function(get(n, envir = baseenv())), TRUE)]
  list2env(mget(base_functions, envir = baseenv()), envir = me)
  eval(driver, me)
  lockEnvironment(me, bindings = TRUE)
  quit(save = "no", status = tryCatch({
    main()
    0L
  }, error = function(e) 70L), runLast = FALSE)
}, envir = new.env(parent = baseenv()))
