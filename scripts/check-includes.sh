#!/usr/bin/env bash
# Fails when a file includes a folder its folder may not include, or when a library of
# src/CMakeLists.txt does not link exactly the folders its files include. The one list of what
# each folder may include is the "may include" column of the folder table in
# docs/ARCHITECTURE.md: "nothing of ours", "everything above", or names of rows above it (so the
# table is the order), each with what that row may include. Checked: src/ (files directly in src/
# are the program, which may include any folder), the tests of one folder (tests/unit/<folder>/,
# tests/redis/ and tests/redis/<folder>/, tests/sdk/) and its fuzz targets (fuzz/<folder>/), which may include their folder,
# what it may include, and the test support of those folders. Using Asio or Beast counts as
# including net/, which compiles them once.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - <<'PY'
import pathlib
import re
import sys

ARCHITECTURE = pathlib.Path("docs/ARCHITECTURE.md")
LIBRARIES = pathlib.Path("src/CMakeLists.txt")
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h"}
# Headers whose code is compiled once by a folder of ours (net/boost_src.cpp): using them is
# using that folder.
COMPILED_BY = {"boost/asio/": "net", "boost/beast/": "net"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

problems = []


def read_order():
    """The folders in table order, each with the set of folders it may include."""
    text = ARCHITECTURE.read_text()
    section = text.split("\n## Folders", 1)[1].split("\n## ", 1)[0]
    order = {}
    header_seen = False
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3:
            continue
        if cells[-1] == "may include":
            header_seen = True
            continue
        match = re.fullmatch(r"`([a-z_]+)/`", cells[0])
        if not header_seen or not match:
            continue
        folder, rule = match.group(1), cells[-1]
        if rule == "nothing of ours":
            allowed = set()
        elif rule == "everything above":
            allowed = set(order)
        else:
            allowed = set()
            for name in (name.strip().strip("`").rstrip("/") for name in rule.split(",")):
                if name not in order:
                    problems.append(f"{ARCHITECTURE}: folder table: {folder}/ may include "
                                    f"{name}/, which is not a row above it (the table is the order)")
                    continue
                allowed |= {name} | order[name]
        order[folder] = allowed
    if not order:
        sys.exit(f"check-includes: no folder table with a 'may include' column in {ARCHITECTURE}")
    return order


def owner_of(path):
    """(folder, is_program) a file of src/ or of a folder's tests belongs to; None if unchecked."""
    parts = path.parts
    if parts[0] == "src":
        return (parts[1], False) if len(parts) > 2 else (None, True)
    if parts[:2] == ("tests", "unit") and len(parts) > 3:
        return parts[2], False
    if parts[:2] == ("tests", "redis"):  # tests/redis/<folder>/: another folder's, on redis-server
        return (parts[2], False) if len(parts) > 3 else ("redis", False)
    if parts[:2] == ("tests", "sdk"):
        return "sdk", False
    if parts[0] == "fuzz" and len(parts) > 2:
        return parts[1], False
    return None


def included_folder(path, kind, target, folders):
    """The folder of ours an include names, or None."""
    beside = path.parent / target
    if kind == '"' and beside.exists():  # test support, found next to the file first
        owner = owner_of(beside.resolve().relative_to(pathlib.Path.cwd().resolve()))
        return owner[0] if owner else None
    for prefix, folder in COMPILED_BY.items():
        if kind == "<" and target.startswith(prefix):
            return folder
    first = target.split("/", 1)[0]
    return first if "/" in target and first in folders else None


def main():
    order = read_order()
    folders = sorted(p.name for p in pathlib.Path("src").iterdir() if p.is_dir())
    for folder in folders:
        if folder not in order:
            problems.append(f"src/{folder}/: no row in the folder table of {ARCHITECTURE}")
    for folder in order:
        if folder not in folders:
            problems.append(f"{ARCHITECTURE}: folder table: {folder}/ is not a folder of src/")

    uses = {folder: set() for folder in folders}  # folders the files of src/<folder>/ include
    files = [p for root in ("src", "tests/unit", "tests/redis", "tests/sdk", "fuzz")
             for p in sorted(pathlib.Path(root).rglob("*")) if p.suffix in SOURCE_SUFFIXES]
    for path in files:
        owner = owner_of(path)
        if owner is None:
            continue
        folder, is_program = owner
        if not is_program and folder not in order:
            problems.append(f"{path}: {folder}/ has no row in the folder table of {ARCHITECTURE}")
            continue
        allowed = set(folders) if is_program else order[folder] | {folder}
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = included_folder(path, match.group(1), match.group(2), set(folders))
            if target is None:
                continue
            if target not in allowed:
                others = ", ".join(f"{name}/" for name in sorted(order[folder])) or "nothing else"
                what = match.group(2)
                if any(what.startswith(prefix) for prefix in COMPILED_BY):
                    what += f", compiled in {target}/"
                problems.append(f"{path}:{number}: includes {target}/ ({what}), but "
                                f"{folder}/ may include only itself and {others} "
                                f"({ARCHITECTURE}, Folders)")
            elif path.parts[0] == "src" and not is_program and target != folder:
                uses[folder].add(target)

    libraries = {}
    for match in re.finditer(r"^llmux_folder\(\s*([a-z_]+)([^)]*)\)", LIBRARIES.read_text(), re.M):
        libraries[match.group(1)] = set(re.findall(r"\bllmux_([a-z_]+)", match.group(2)))
    for folder in folders:
        if folder not in libraries:
            problems.append(f"{LIBRARIES}: no llmux_folder({folder} ...) for src/{folder}/")
            continue
        links = libraries[folder]
        for name in sorted(uses[folder] - links):
            problems.append(f"{LIBRARIES}: llmux_{folder} does not link llmux_{name}, "
                            f"which src/{folder}/ includes")
        for name in sorted(links - uses[folder]):
            problems.append(f"{LIBRARIES}: llmux_{folder} links llmux_{name}, "
                            f"which no file of src/{folder}/ includes")

    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(f"check-includes: {len(problems)} problem(s)")
    print(f"check-includes: {len(files)} files follow the order of {ARCHITECTURE}")


main()
PY
