"""Runs graded Python code inside the sandbox and reports requested values.

Protocol: the grader writes one JSON spec to fd 3 and closes it; this driver writes one JSON
result to fd 4 (moved to a high close-on-exec descriptor before any graded code runs), so nothing
the graded code prints can be mistaken for the result. Graded code shares this interpreter, so the
channel guards against accidents, not against code that deliberately forges its own values (it
could set those variables anyway). Comparison happens in the grader, not here.
"""

import builtins
import fcntl
import io
import json
import math
import os
import random
import sys
import tokenize
import traceback
import warnings

# The driver's own directory is no place to import graded modules from.
sys.path[:] = [p for p in sys.path if p != os.path.dirname(os.path.abspath(__file__))]

_dumps = json.dumps
_write = os.write
_exit = os._exit
_getpid = os.getpid

MAX_STR = 1_000_000
MAX_ARRAY_ELEMENTS = 2_000_000
MAX_ITEMS = 200_000
MAX_DEPTH = 64
WORK_DIR = os.getcwd()


def _read_spec():
    chunks = []
    while True:
        chunk = os.read(3, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(3)
    return json.loads(b"".join(chunks).decode("utf-8"))


def _open_result_channel():
    fd = fcntl.fcntl(4, fcntl.F_DUPFD_CLOEXEC, 200)
    os.close(4)
    return fd


def _send(fd, payload):
    data = _dumps(payload, allow_nan=False).encode("utf-8") + b"\n"
    view = memoryview(data)
    while view:
        written = _write(fd, view)
        view = view[written:]


def _float(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _int(x):
    # JSON numbers beyond 2**53 lose precision in JavaScript: send those as digit strings.
    return x if -(2**53) <= x <= 2**53 else str(x)


def _truncated_str(s):
    if len(s) > MAX_STR:
        return {"t": "str", "v": s[:MAX_STR], "truncated": True, "len": len(s)}
    return {"t": "str", "v": s}


class _Budget:
    def __init__(self):
        self.items = 0

    def spend(self, n):
        self.items += n
        if self.items > MAX_ITEMS + MAX_ARRAY_ELEMENTS:
            raise OverflowError("value too large to transfer")


def _np():
    return sys.modules.get("numpy")


def _scalar_payload(kind, item):
    if kind == "b":
        return bool(item)
    if kind in "iu":
        return _int(int(item))
    if kind == "f":
        return _float(float(item))
    if kind == "c":
        return [_float(item.real), _float(item.imag)]
    if kind == "U":
        return str(item)
    if kind == "S":
        return item.decode("latin-1")
    return str(item)


def _ndarray(arr, budget, depth, seen):
    kind = arr.dtype.kind
    base = {"t": "ndarray", "dtype": str(arr.dtype), "kind": kind, "shape": list(arr.shape)}
    if arr.size > MAX_ARRAY_ELEMENTS:
        return {"t": "unsupported", "type": "numpy.ndarray", "reason": f"array of {arr.size} elements is too large"}
    budget.spend(arr.size)
    flat = arr.ravel()
    if kind in "bU":
        base["data"] = flat.tolist()
        return base
    if kind in "iufcS":
        base["data"] = [_scalar_payload(kind, x) for x in flat.tolist()]
        return base
    if kind == "O":
        base["data"] = [_serialize(x, budget, depth + 1, seen) for x in flat.tolist()]
        return base
    if kind in "mM":
        base["data"] = [str(x) for x in flat]
        return base
    return {"t": "unsupported", "type": "numpy.ndarray", "reason": f"dtype {arr.dtype} is not supported"}


def _serialize(value, budget, depth=0, seen=None):
    if depth > MAX_DEPTH:
        return {"t": "unsupported", "type": type(value).__name__, "reason": "nesting too deep"}
    budget.spend(1)
    if value is None:
        return {"t": "none"}
    # Exact types first: subclasses of builtins (e.g. IntEnum) fall through to repr below.
    tp = type(value)
    if tp is bool:
        return {"t": "bool", "v": value}
    if tp is int:
        return {"t": "int", "v": _int(value)}
    if tp is float:
        return {"t": "float", "v": _float(value)}
    if tp is complex:
        return {"t": "complex", "re": _float(value.real), "im": _float(value.imag)}
    if tp is str:
        return _truncated_str(value)
    if tp in (bytes, bytearray):
        return {"t": "bytes", "v": bytes(value[:MAX_STR]).decode("latin-1")}
    np = _np()
    if np is not None:
        if isinstance(value, np.ndarray):
            return _ndarray(value, budget, depth, seen)
        if isinstance(value, np.generic):
            kind = value.dtype.kind
            if kind in "biufcUS":
                return {"t": "npscalar", "dtype": str(value.dtype), "kind": kind, "v": _scalar_payload(kind, value.item())}
    seen = seen if seen is not None else set()
    if tp in (list, tuple, set, frozenset, dict):
        if id(value) in seen:
            return {"t": "unsupported", "type": tp.__name__, "reason": "recursive structure"}
        seen.add(id(value))
        try:
            if tp is dict:
                return {
                    "t": "dict",
                    "items": [[_serialize(k, budget, depth + 1, seen), _serialize(v, budget, depth + 1, seen)] for k, v in value.items()],
                }
            items = [_serialize(x, budget, depth + 1, seen) for x in value]
            return {"t": tp.__name__, "items": items}
        finally:
            seen.discard(id(value))
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - graded objects may raise anything from __repr__
        text = f"<repr failed: {type(exc).__name__}>"
    module = getattr(tp, "__module__", "")
    name = tp.__qualname__ if module in ("builtins", "") else f"{module}.{tp.__qualname__}"
    return {"t": "object", "type": name, "repr": text[:MAX_STR]}


def _type_name(value):
    tp = type(value)
    module = getattr(tp, "__module__", "")
    return tp.__qualname__ if module in ("builtins", "") else f"{module}.{tp.__qualname__}"


def _describe(value):
    budget = _Budget()
    try:
        payload = _serialize(value, budget)
    except OverflowError as exc:
        payload = {"t": "unsupported", "type": _type_name(value), "reason": str(exc)}
    try:
        text = str(value)
    except Exception as exc:  # noqa: BLE001
        text = f"<str failed: {type(exc).__name__}>"
    payload["pytype"] = _type_name(value)
    payload["str"] = text[:MAX_STR]
    return payload


class _SeedNumpyOnImport:
    """Seeds numpy's legacy global generator when graded code first imports numpy.

    Importing numpy up front would cost every run ~0.1 s even when the code never uses it.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "numpy":
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec("numpy")
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module):
            original_exec(module)
            try:
                module.random.seed(1)
            except Exception:  # noqa: BLE001 - a broken numpy must not break the run
                pass

        loader.exec_module = exec_module
        return spec


def _format_exception(exc):
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith(WORK_DIR) or f.filename.startswith("<")
    ]
    lines = traceback.format_list(frames[-8:]) + traceback.format_exception_only(type(exc), exc)
    location = None
    if frames:
        last = frames[-1]
        location = {"file": os.path.relpath(last.filename, WORK_DIR) if last.filename.startswith(WORK_DIR) else last.filename, "line": last.lineno}
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:4000],
        "traceback": "".join(lines)[-8000:],
        "location": location,
        "memory": isinstance(exc, MemoryError),
    }


def _run(spec, result):
    entry = spec.get("entryPoint")
    random.seed(1)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(1)
    else:
        sys.meta_path.insert(0, _SeedNumpyOnImport())

    captured_warnings = []
    original_showwarning = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if len(captured_warnings) < 100:
            captured_warnings.append(f"{category.__name__}: {message}")
        original_showwarning(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning
    result["warnings"] = captured_warnings

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    phase = "entryPoint"
    try:
        if entry:
            path = os.path.join(WORK_DIR, entry)
            namespace["__file__"] = path
            sys.argv = [entry]
            with open(path, "rb") as fh:
                source = fh.read()
            code = compile(source, path, "exec")
            try:
                exec(code, namespace)
            except SystemExit as exc:
                if exc.code not in (None, 0):
                    raise
        phase = "setUpCode"
        for index, snippet in enumerate(spec.get("setUpCode") or []):
            exec(compile(snippet, f"<setUpCode {index + 1}>", "exec"), namespace)
        phase = "tearDownCode"
        for index, snippet in enumerate(spec.get("tearDownCode") or []):
            exec(compile(snippet, f"<tearDownCode {index + 1}>", "exec"), namespace)
        result["status"] = "completed"
        result["exitCode"] = 0
    except SystemExit as exc:
        result["status"] = "error"
        result["exitCode"] = exc.code if isinstance(exc.code, int) else 1
        result["error"] = {"type": "SystemExit", "message": f"exit code {exc.code}", "traceback": "", "location": None, "memory": False}
        result["phase"] = phase
    except BaseException as exc:  # noqa: BLE001 - everything the graded code raises is a result
        result["status"] = "memory_exceeded" if isinstance(exc, MemoryError) else "error"
        result["exitCode"] = 1
        result["error"] = _format_exception(exc)
        result["phase"] = phase

    values = {}
    graphics = bool(spec.get("graphics"))
    lookup = namespace
    if graphics:
        try:
            import matplotlib.pyplot as plt  # noqa: PLC0415 - only graphics collections need it

            lookup = {"plt": plt, "__builtins__": builtins}
        except Exception as exc:  # noqa: BLE001
            lookup = None
            result["graphicsError"] = f"{type(exc).__name__}: {exc}"
    for expression in spec.get("expressions") or []:
        try:
            if lookup is None:
                raise RuntimeError(result.get("graphicsError", "matplotlib unavailable"))
            if graphics:
                value = eval(f"plt.{expression}", lookup)
            elif expression in namespace:
                value = namespace[expression]
            else:
                value = eval(expression, namespace)
            values[expression] = {"ok": True, "value": _describe(value)}
        except MemoryError:
            values[expression] = {"ok": False, "error": "MemoryError while evaluating the expression"}
        except BaseException as exc:  # noqa: BLE001
            values[expression] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}
    result["values"] = values


def _tokenize(spec, result):
    path = os.path.join(WORK_DIR, spec["file"])
    try:
        with open(path, "rb") as fh:
            tokens = [[tokenize.tok_name[t.type], t.string] for t in tokenize.tokenize(fh.readline)]
        result["tokens"] = tokens
        result["status"] = "completed"
    except (tokenize.TokenError, SyntaxError, OSError, UnicodeDecodeError) as exc:
        result["status"] = "error"
        result["error"] = {"type": type(exc).__name__, "message": str(exc), "traceback": "", "location": None, "memory": False}
    needles = {}
    skip = {tokenize.ENCODING, tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER, tokenize.COMMENT}
    for name in spec.get("names") or []:
        try:
            pieces = [t.string for t in tokenize.generate_tokens(io.StringIO(name).readline) if t.type not in skip and t.string]
            needles[name] = pieces or None
        except (tokenize.TokenError, SyntaxError):
            needles[name] = None
    result["needles"] = needles


def _compile(spec, result):
    path = os.path.join(WORK_DIR, spec["file"])
    try:
        with open(path, "rb") as fh:
            compile(fh.read(), path, "exec")
        result["status"] = "completed"
    except (SyntaxError, ValueError, OSError) as exc:
        result["status"] = "error"
        result["error"] = {"type": type(exc).__name__, "message": str(exc), "traceback": "", "location": None, "memory": False}


def main():
    spec = _read_spec()
    channel = _open_result_channel()
    pid = _getpid()
    result = {"nonce": spec.get("nonce"), "status": "error", "values": {}}
    mode = spec.get("mode", "run")
    try:
        if mode == "tokenize":
            _tokenize(spec, result)
        elif mode == "compile":
            _compile(spec, result)
        else:
            sys.path.insert(0, WORK_DIR)
            _run(spec, result)
    finally:
        # A forked child of graded code reaches this point too: only the original process reports.
        if _getpid() == pid:
            for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001
                    pass
            try:
                _send(channel, result)
            except MemoryError:
                try:
                    _send(channel, {"nonce": spec.get("nonce"), "status": "memory_exceeded", "values": {}})
                except BaseException:  # noqa: BLE001
                    _exit(70)
            except BaseException:  # noqa: BLE001 - e.g. graded code closed the channel
                _exit(70)
        _exit(0)


main()
