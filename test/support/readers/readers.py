"""Readers written in Python, for the reader matrix (test/core/reader-matrix.test.ts).

    python3 readers.py python-dotenv FILE...  dotenv_values(FILE), as apps call it (interpolation on)
    python3 readers.py compose FILE...        docker-compose's env_file reader (compose.config.environment)
    python3 readers.py pyyaml FILE...         yaml.safe_load(FILE) (YAML 1.1)
    python3 readers.py pyyaml-doc FILE...     yaml.safe_load(FILE), the whole document as JSON

Run with Debian's /usr/bin/python3 (python3-dotenv, docker-compose, python3-yaml).
Prints one JSON array, an element per file: {"values": {NAME: VALUE}} where a
string VALUE is {"b64": base64 of its UTF-8 bytes} and anything else is
{"type": its type name, "repr": repr(it)}; or {"error": message}.
"""
import base64
import json
import logging
import sys

logging.disable(logging.CRITICAL)


def encode(value):
    if isinstance(value, str):
        return {"b64": base64.b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii")}
    return {"type": type(value).__name__, "repr": repr(value)}


def read(mode, path):
    if mode == "python-dotenv":
        from dotenv import dotenv_values
        return dotenv_values(path)
    if mode == "compose":
        from compose.config.environment import env_vars_from_file
        return env_vars_from_file(path)
    if mode == "pyyaml":
        import yaml
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    raise SystemExit("unknown reader " + mode)


def tagged(value):
    """JSON for a loaded document; what JSON has no type for is tagged with its Python type."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, str) else repr(k): tagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tagged(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return {"type": type(value).__name__, "repr": repr(value)}


out = []
if sys.argv[1] == "pyyaml-doc":
    import yaml
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            out.append({"json": json.dumps(tagged(yaml.safe_load(f)))})
    print(json.dumps(out))
    sys.exit(0)
for path in sys.argv[2:]:
    try:
        values = read(sys.argv[1], path)
        if not isinstance(values, dict):
            out.append({"error": "not a mapping: " + type(values).__name__})
            continue
        out.append({"values": {str(k) if isinstance(k, str) else repr(k): encode(v) for k, v in values.items()}})
    except Exception as e:  # noqa: BLE001 - a reader's failure is a result
        out.append({"error": type(e).__name__ + ": " + str(e)})
print(json.dumps(out))
