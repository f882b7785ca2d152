function __computor_driver__()
  % Runs graded Octave code inside the sandbox and reports requested values (runner.ts is the
  % other side). Started as `octave-cli ... --eval __computor_driver__` with this directory as the
  % current one, so that files of the hand-in cannot shadow the functions used before they run.
  %
  % Protocol:
  % - fd 3, grader -> driver: `spec <length>\n<JSON>` (entry script, setUpCode, tearDownCode,
  %   expressions, value budget; ASCII), then the run's token. The spec is read at the start by a
  %   shell (`read` + `dd`, which read exactly that much), the token only after graded code ran.
  %   Octave cannot open a socket by path, so every access to fd 3 and 4 goes through a child
  %   process that inherits them; no Octave stream wraps them (fclose('all') cannot close them).
  % - fd 4, driver -> grader: one report, `<token> <length>\n<JSON><token> end\n`, written once at
  %   the end through `cat >&4` (popen; pclose waits until it is written).
  %
  % Order, as the original engine's wrapper: rand('seed',1); randn('seed',1); close all; entry
  % script (run); setUpCode; tearDownCode; values. Graded code and test code run in the base
  % workspace (evalin), the driver's variables live in this function's workspace. Values are
  % evaluated with the hand-in's directory current (its functions are what expressions call),
  % then the driver returns to its own directory and load path before it encodes anything, reads
  % the token and writes the report: a hand-in file named like a built-in (jsonencode.m, size.m)
  % cannot take part in that.
  rc = 70;
  try
    rc = computor_main_();
  catch
    rc = 70;
  end
  if (rc != 0)
    exit(rc);
  end
end

function rc = computor_main_()
  rc = 70;
  home = pwd();
  home_path = path();
  pid = getpid();
  spec = jsondecode(read_spec_());
  budget = double(spec.maxValueBytes);
  entry = char(spec.entry);
  setup = char(spec.setUpCode);
  teardown = char(spec.tearDownCode);
  work = char(spec.workDir);
  expressions = spec.expressions;
  if (! iscell(expressions))
    expressions = {};
  end
  n = numel(expressions);
  has_entry = ! isempty(entry);
  has_setup = ! isempty(setup);
  has_teardown = ! isempty(teardown);
  if (has_entry)
    run_entry = sprintf("run('%s');", strrep(entry, "'", "''"));
  else
    run_entry = '';
  end

  % No pager, no dumps, figures invisible (gnuplot without a display draws ASCII art on stdout).
  page_screen_output(false);
  more off;
  crash_dumps_octave_core(false);
  sighup_dumps_octave_core(false);
  sigterm_dumps_octave_core(false);
  beep_on_error(false);
  % `pause` without arguments would wait for a key that never comes (stdin is the input answers or
  % nothing): pauses return at once.
  pause('off');
  warning('off', 'Octave:gnuplot-graphics');
  set(0, 'defaultfigurevisible', 'off');
  rand('seed', 1);
  randn('seed', 1);
  close all;

  phases = {};
  warnings = {};
  failure = [];
  phase = 'entryPoint';
  values = cell(1, n);
  value_ok = false(1, n);
  value_err = cell(1, n);
  values_done = false;
  lastwarn('');
  % From here until the values are taken, only evalin/evalc/lastwarn/cd run in the hand-in's
  % directory (files of the hand-in come first on Octave's search path there).
  cd(work);
  try
    if (has_entry)
      evalin('base', run_entry);
    end
    phases{end + 1} = 'entryPoint';
    [w, wid] = lastwarn();
    warnings{end + 1} = w;
    lastwarn('');
    phase = 'setUpCode';
    if (has_setup)
      evalin('base', setup);
    end
    phases{end + 1} = 'setUpCode';
    [w, wid] = lastwarn();
    warnings{end + 1} = w;
    lastwarn('');
    phase = 'tearDownCode';
    if (has_teardown)
      evalin('base', teardown);
    end
    phases{end + 1} = 'tearDownCode';
    [w, wid] = lastwarn();
    warnings{end + 1} = w;
    lastwarn('');
    phase = 'values';
    for i = 1:n
      e__ = expressions{i};
      try
        % evalc: what an expression prints is not the program's output.
        evalc('v__ = evalin(''base'', e__);');
        values{i} = v__;
        value_ok(i) = true;
      catch verr
        value_err{i} = verr;
      end
      v__ = [];
    end
    values_done = true;
  catch err
    [w, wid] = lastwarn();
    warnings{end + 1} = w;
    failure = err;
  end
  cd(home);
  if (! strcmp(path(), home_path))
    % Restoring the load path rescans it (~20 ms): only when graded code changed it.
    path(home_path);
  end
  if (getpid() != pid)
    % A child forked by graded code does not report.
    exit(0);
  end
  % The values are taken: the workspace's memory is the report's now (a run that failed for lack
  % of memory could not report otherwise).
  try
    evalin('base', 'builtin(''clear'', ''-variables'');');
  catch
  end
  if (values_done)
    phases{end + 1} = 'values';
  end

  % Encoding, token and report: in the driver's own directory and load path.
  parts = {};
  parts{end + 1} = '{"status":';
  if (isempty(failure))
    parts{end + 1} = '"completed"';
  elseif (strcmp(failure.identifier, 'Octave:bad-alloc'))
    parts{end + 1} = '"memory_exceeded"';
  else
    parts{end + 1} = '"error"';
  end
  parts{end + 1} = ',"phases":';
  parts{end + 1} = str_list_(phases);
  parts{end + 1} = ',"warnings":';
  warnings = warnings(! cellfun(@isempty, warnings));
  parts{end + 1} = str_list_(warnings(1:min(end, 100)));
  if (! isempty(failure))
    parts{end + 1} = ',"phase":';
    parts{end + 1} = json_str_(phase);
    parts{end + 1} = ',"error":';
    parts{end + 1} = error_json_(failure, work);
  end
  parts{end + 1} = ',"values":{';
  used = 0;
  first = true;
  if (values_done)
    for i = 1:n
      if (value_ok(i))
        budget_left = budget - used;
        try
          body = ['{"ok":true,"v":' encode_value_(values{i}, 0) '}'];
        catch eerr
          body = ['{"ok":false,"e":' json_str_(['could not be transferred: ' eerr.message]) '}'];
        end
        if (numel(body) > budget_left)
          body = ['{"ok":false,"limit":true,"e":' json_str_(sprintf('value of %d bytes is larger than the %d bytes a run may report', numel(body), budget)) '}'];
        end
      else
        % The position is one in the expression, not in a file.
        body = ['{"ok":false,"e":' json_str_(regexprep(error_text_(value_err{i}, work), ' near line 1, column \d+$', '')) '}'];
      end
      values{i} = [];
      used = used + numel(body);
      if (! first)
        parts{end + 1} = ',';
      end
      first = false;
      parts{end + 1} = json_str_(expressions{i});
      parts{end + 1} = ':';
      parts{end + 1} = body;
    end
  end
  parts{end + 1} = '}}';
  payload = [parts{:}];
  clear parts values;

  [st, token] = system('exec cat <&3');
  if (st != 0 || isempty(regexp(token, '^token [0-9a-f]{32}$', 'once')))
    return;
  end
  token = token(7:end);
  framed = [token ' ' sprintf('%d', numel(payload)) "\n" payload token " end\n"];
  fid = popen('exec cat >&4', 'w');
  if (fid < 0)
    return;
  end
  fwrite(fid, framed);
  if (pclose(fid) != 0)
    return;
  end
  rc = 0;
end

function text = read_spec_()
  % `read` takes the header byte by byte, `dd` exactly the payload: the token stays on fd 3.
  [st, text] = system('IFS=" " read -r name len <&3 && [ "$name" = spec ] && exec dd bs="$len" count=1 iflag=fullblock status=none <&3');
  if (st != 0 || isempty(text))
    error('computor:spec', 'no spec on fd 3');
  end
end

function s = json_str_(text)
  % A JSON string; texts with NUL(which jsonencode would cut) go as their bytes, escaped.
  text = char(text);
  if (isempty(text))
    s = '""';
  elseif (any(text(:) == 0))
    s = ['"' sprintf('\\u%04x', double(text(:)')) '"'];
  else
    s = jsonencode(text(:)');
  end
end

function s = str_list_(items)
  if (isempty(items))
    s = '[]';
    return;
  end
  pieces = cellfun(@json_str_, items, 'UniformOutput', false);
  s = ['[' strjoin(pieces, ',') ']'];
end

function text = error_text_(err, work)
  text = strrep(err.message, [work '/'], '');
end

function s = error_json_(err, work)
  % The message and where in the hand-in it happened (frames in the work directory only).
  stack = err.stack;
  frames = {};
  prefix = [work '/'];
  for k = 1:numel(stack)
    file = stack(k).file;
    if (strncmp(file, prefix, numel(prefix)))
      frames{end + 1} = sprintf('{"file":%s,"name":%s,"line":%d,"column":%d}', json_str_(file(numel(prefix) + 1:end)), json_str_(stack(k).name), stack(k).line, stack(k).column);
    end
  end
  if (isempty(frames))
    frames_json = '[]';
  else
    frames_json = ['[' strjoin(frames(1:min(end, 20)), ',') ']'];
  end
  message = error_text_(err, work);
  if (numel(message) > 4000)
    message = message(1:4000);
  end
  s = sprintf('{"id":%s,"message":%s,"stack":%s}', json_str_(err.identifier), json_str_(message), frames_json);
end

function s = num_list_(d)
  % Numbers of a real array, column-major: exact (%.17g), non-finite ones as "nan"/"inf"/"-inf",
  % integers beyond 2^53 as digit strings.
  d = d(:)';
  if (isempty(d))
    s = '[]';
    return;
  end
  if (isinteger(d))
    if (isa(d, 'uint64'))
      fmt = '%u,';
    else
      fmt = '%d,';
    end
    if (any(abs(double(d)) > 2^53))
      fmt = ['"' fmt(1:2) '",'];
    end
    s = sprintf(fmt, d);
  else
    d = double(d);
    s = sprintf('%.17g,', d);
    if (! all(isfinite(d)))
      s = strrep(s, '-Inf', '"-inf"');
      s = strrep(s, 'Inf', '"inf"');
      s = strrep(s, '-NaN', '"nan"');
      s = strrep(s, 'NaN', '"nan"');
    end
  end
  s = ['[' s(1:end - 1) ']'];
end

function s = size_json_(v)
  s = sprintf('%d,', size(v));
  s = ['[' s(1:end - 1) ']'];
end

function s = encode_value_(v, depth)
  % Tagged JSON of an Octave value (decode.ts reads it): class, size, column-major data.
  MAX_ELEMENTS = 2000000;
  MAX_ITEMS = 200000;
  cls = class(v);
  if (depth > 64)
    s = unsupported_(cls, 'nesting too deep');
    return;
  end
  if (issparse(v))
    v = full(v);
  end
  if (isnumeric(v))
    if (numel(v) > MAX_ELEMENTS)
      s = unsupported_(cls, sprintf('array of %d elements is too large', numel(v)));
      return;
    end
    s = ['{"t":"num","c":' json_str_(cls) ',"sz":' size_json_(v) ',"re":' num_list_(real(v))];
    if (iscomplex(v))
      s = [s ',"im":' num_list_(imag(v))];
    end
    s = [s '}'];
  elseif (islogical(v))
    if (numel(v) > MAX_ELEMENTS)
      s = unsupported_(cls, sprintf('array of %d elements is too large', numel(v)));
      return;
    end
    s = ['{"t":"bool","sz":' size_json_(v) ',"v":' num_list_(uint8(v)) '}'];
  elseif (ischar(v))
    if (ndims(v) > 2)
      s = unsupported_(cls, 'char arrays of more than two dimensions are not supported');
      return;
    end
    if (numel(v) > 10000000)
      s = unsupported_(cls, sprintf('text of %d characters is too large', numel(v)));
      return;
    end
    rows = cell(1, size(v, 1));
    for r = 1:numel(rows)
      rows{r} = json_str_(v(r, :));
    end
    s = ['{"t":"char","sz":' size_json_(v) ',"v":[' strjoin(rows, ',') ']}'];
  elseif (iscell(v))
    if (numel(v) > MAX_ITEMS)
      s = unsupported_(cls, sprintf('cell array of %d elements is too large', numel(v)));
      return;
    end
    items = cell(1, numel(v));
    for k = 1:numel(v)
      items{k} = encode_value_(v{k}, depth + 1);
    end
    s = ['{"t":"cell","sz":' size_json_(v) ',"v":[' strjoin(items, ',') ']}'];
  elseif (isstruct(v))
    fields = fieldnames(v);
    if (numel(v) * max(1, numel(fields)) > MAX_ITEMS)
      s = unsupported_(cls, sprintf('struct array of %d elements is too large', numel(v)));
      return;
    end
    elements = cell(1, numel(v));
    for k = 1:numel(v)
      members = cell(1, numel(fields));
      for f = 1:numel(fields)
        members{f} = encode_value_(v(k).(fields{f}), depth + 1);
      end
      elements{k} = ['[' strjoin(members, ',') ']'];
    end
    s = ['{"t":"struct","sz":' size_json_(v) ',"f":' str_list_(fields') ',"v":[' strjoin(elements, ',') ']}'];
  elseif (is_function_handle(v))
    s = ['{"t":"fh","v":' json_str_(func2str(v)) '}'];
  else
    s = unsupported_(cls, sprintf('values of class %s cannot be transferred', cls));
  end
end

function s = unsupported_(cls, reason)
  s = ['{"t":"x","c":' json_str_(cls) ',"r":' json_str_(reason) '}'];
end
