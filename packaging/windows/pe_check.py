#!/usr/bin/env python3
"""Checks the PE header of a release netassist.exe: a GUI-subsystem program (no console window opens on a
double-click), with an icon and version information whose version is the crate's.

Usage: pe_check.py EXE, from the project's folder (the version is read from its Cargo.toml). Prints each
check as PASS or FAIL; the exit code is the number failed.
Reads the file with pefile (PyPI), the usual Python library for PE files.
"""
import re
import sys

import pefile

exe = sys.argv[1]
with open("Cargo.toml", encoding="utf-8") as manifest:
    # The package's own version: the first `version = "…"` line, in [package].
    version = re.search(r'^version = "([^"]+)"', manifest.read(), re.M).group(1)
pe = pefile.PE(exe, fast_load=True)
pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]])
resources = set()
if hasattr(pe, "DIRECTORY_ENTRY_RESOURCE"):
    resources = {entry.id for entry in pe.DIRECTORY_ENTRY_RESOURCE.entries}
strings = {}
for info in getattr(pe, "FileInfo", []):
    for entry in info:
        for table in getattr(entry, "StringTable", []):
            strings.update({k.decode(): v.decode() for k, v in table.entries.items()})

subsystem = pefile.SUBSYSTEM_TYPE.get(pe.OPTIONAL_HEADER.Subsystem, pe.OPTIONAL_HEADER.Subsystem)
checks = [
    ("GUI subsystem", subsystem == "IMAGE_SUBSYSTEM_WINDOWS_GUI", subsystem),
    ("icon", {pefile.RESOURCE_TYPE["RT_ICON"], pefile.RESOURCE_TYPE["RT_GROUP_ICON"]} <= resources,
     sorted(pefile.RESOURCE_TYPE.get(r, r) for r in resources)),
    ("version information", pefile.RESOURCE_TYPE["RT_VERSION"] in resources
     and strings.get("ProductName") == "NetAssist" and strings.get("FileVersion") == version, strings),
]
failed = 0
for name, ok, seen in checks:
    print("%s %-20s %s" % ("PASS" if ok else "FAIL", name, seen))
    failed += not ok
sys.exit(failed)
