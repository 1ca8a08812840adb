#!/usr/bin/env python3
"""The Windows command-line suite: runs netassist.exe (through the command given, e.g. `wine netassist.exe`)
against small peers on loopback and checks exit codes and output as a script on a lab PC would.

Usage: cli_suite.py REPORT.json COMMAND...
Every case prints PASS or FAIL with what it saw; the exit code is the number of failed cases (0: all passed).
Peers are written here (standard library only) so the suite needs nothing beside the project.
"""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

REPORT = sys.argv[1]
EXE = sys.argv[2:]
# Every case is bounded: the exe's own --seconds, and this for the process as a whole.
PROCESS_TIMEOUT = 60
GREETING = "Hello 01Studio!"


class Run:
    """One netassist.exe process; stdout lines are collected by a thread as they come."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            EXE + list(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        self.lines = []
        self.listening = threading.Event()
        self.addr = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.lines.append(line)
            if self.addr is None and "Listening on " in line:
                self.addr = line.split("Listening on ", 1)[1].split()[0].strip('"},')
                self.listening.set()

    def port(self):
        """The port the exe listens on, read from its `Listening on` line."""
        if not self.listening.wait(PROCESS_TIMEOUT):
            raise RuntimeError("no 'Listening on' line")
        return int(self.addr.rsplit(":", 1)[1])

    def finish(self):
        """Waits for the exit; returns (exit code, stdout lines, stderr text)."""
        try:
            code = self.proc.wait(PROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = "killed after %d s" % PROCESS_TIMEOUT
        self.thread.join(5)
        return code, self.lines, self.proc.stderr.read().decode("utf-8", "replace")


def board(port, greeting=GREETING, seconds=5.0):
    """The board's client: connect, greet, echo every chunk back; returns what it echoed."""
    echoed = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(greeting.encode())
        s.settimeout(0.2)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data = s.recv(128)
            except socket.timeout:
                continue
            if not data:
                break
            echoed.append(data)
            s.sendall(data)
    return b"".join(echoed)


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port nothing listens on: bound, read back and released."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def case_board_check_met():
    run = Run("tcp-server", "--bind", "127.0.0.1:0", "--expect", GREETING, "--seconds", "20")
    board(run.port(), seconds=2)
    code, lines, err = run.finish()
    rx = any("RX" in l and GREETING in l for l in lines)
    return code == 0 and rx, "exit %s, greeting row %s; %s" % (code, rx, err.strip()[-200:])


def case_board_check_wrong():
    run = Run("tcp-server", "--bind", "127.0.0.1:0", "--expect", GREETING, "--seconds", "3")
    board(run.port(), greeting="Hello World", seconds=1)
    code, _, _ = run.finish()
    return code == 1, "exit %s (want 1)" % code


def case_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, lines, err = Run("tcp-server", "--bind", "127.0.0.1:%d" % port, "--seconds", "3").finish()
    return code == 3, "exit %s (want 3): %s" % (code, (err.strip() or " / ".join(lines))[-200:])


def case_refused():
    port = free_port()
    code, lines, err = Run("tcp-client", "--connect", "127.0.0.1:%d" % port, "--seconds", "5").finish()
    return code == 3, "exit %s (want 3): %s" % (code, (err.strip() or " / ".join(lines))[-200:])


def case_json_parses():
    run = Run("tcp-server", "--bind", "127.0.0.1:0", "--json", "--send", "ping",
              "--expect", GREETING, "--expect", "ping", "--seconds", "20")
    # --json lines carry `"addr":"127.0.0.1:PORT"` on the listening event.
    echoed = board(run.port(), seconds=2)
    code, lines, _ = run.finish()
    try:
        events = [json.loads(l) for l in lines if l.strip()]
    except ValueError as error:
        return False, "a line is not JSON: %s" % error
    kinds = [e.get("event") for e in events]
    # The greeting and the echo may arrive in one read (raw framing), so two data events at least.
    ok = code == 0 and echoed == b"ping" and "listening" in kinds and kinds.count("data") >= 2
    return ok, "exit %s, echoed %r, events %s" % (code, echoed, kinds)


def case_udp_echo():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as echo:
        echo.bind(("127.0.0.1", 0))
        echo.settimeout(0.2)
        port = echo.getsockname()[1]
        stop = threading.Event()

        def serve():
            while not stop.is_set():
                try:
                    data, addr = echo.recvfrom(65535)
                except socket.timeout:
                    continue
                echo.sendto(data, addr)

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        code, lines, err = Run("udp", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:%d" % port,
                               "--send", "ping 你好", "--expect", "ping 你好", "--seconds", "10").finish()
        stop.set()
        server.join(2)
    return code == 0, "exit %s: %s" % (code, (err.strip() or " / ".join(lines))[-300:])


def case_udp_survives_port_unreachable():
    """A UDP session that sends to a closed port (each datagram answered by an ICMP port unreachable, which
    Windows reports as a reset on the socket) still receives what comes next."""
    closed = free_port(socket.SOCK_DGRAM)
    run = Run("udp", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:%d" % closed, "--send-hex", "00",
              "--every", "50", "--expect", "still here", "--seconds", "15")
    port = run.port()
    deadline = time.monotonic() + 10
    while sum(" TX " in l for l in run.lines) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.sendto(b"still here", ("127.0.0.1", port))
    code, lines, err = run.finish()
    sent = sum(" TX " in l for l in lines)
    return code == 0 and sent >= 3, "exit %s, %d sent to the closed port first; %s" % (
        code, sent, (err.strip() or lines[-1] if lines else "")[-200:])


def case_preset():
    run = Run("run", "assets/presets/board-check.ron", "--bind", "127.0.0.1:0", "--send", "ping",
              "--expect", GREETING, "--expect", "ping", "--seconds", "20")
    echoed = board(run.port(), seconds=2)
    code, lines, err = run.finish()
    return code == 0 and echoed == b"ping", "exit %s, echoed %r; %s" % (code, echoed, err.strip()[-200:])


def case_periodic_1ms():
    """A 1 ms periodic send for 3 s. The grid has about 3000 ticks whatever the load; each is either sent or
    counted as skipped in the summary line, and what arrives is what was sent. The rate and gaps are
    printed as figures, not judged: they depend on the machine's load, and under Wine the timing is
    Linux's, so this shows the Windows timer code runs, not that Windows keeps time."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(0.2)
        port = rx.getsockname()[1]
        arrivals = []
        stop = threading.Event()

        def receive():
            while not stop.is_set():
                try:
                    rx.recv(64)
                except socket.timeout:
                    continue
                arrivals.append(time.monotonic())

        receiver = threading.Thread(target=receive, daemon=True)
        receiver.start()
        code, lines, _ = Run("udp", "--bind", "127.0.0.1:0", "--to", "127.0.0.1:%d" % port,
                             "--send-hex", "00", "--every", "1", "--seconds", "3").finish()
        # Everything was sent before the exit: the receiver drains its buffer until it has been quiet for
        # 0.3 s (at most 3 s).
        deadline = time.monotonic() + 3
        seen = -1
        while seen != len(arrivals) and time.monotonic() < deadline:
            seen = len(arrivals)
            time.sleep(0.3)
        stop.set()
        receiver.join(2)
    summary = [l for l in lines if l.startswith("periodic send:")]
    match = re.match(r"periodic send: (\d+) sent of (\d+) ticks(?:, (\d+) skipped)?", summary[-1]) if summary else None
    if match is None:
        return False, "exit %s, no 'periodic send:' summary line" % code
    sent, ticks, skipped = (int(g or 0) for g in match.groups())
    gaps = sorted(b - a for a, b in zip(arrivals, arrivals[1:]))
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0
    figures = "%d received, %.0f/s, median gap %.2f ms" % (
        len(arrivals), (len(arrivals) - 1) / span if span else 0, gaps[len(gaps) // 2] * 1000 if gaps else 0)
    ok = code == 0 and 2500 <= ticks <= 3100 and sent + skipped == ticks and len(arrivals) == sent
    return ok, "exit %s, %s; %s" % (code, summary[-1], figures)


def case_check_board():
    """`check` runs the board check of assets/presets/board-check.ron against a board: PASS, exit 0, the
    latency line; then a board with the wrong greeting: FAIL, exit 1."""
    results = []
    for greeting, want in ((GREETING, 0), ("Hello World!", 1)):
        run = Run("check", "assets/presets/board-check.ron", "--bind", "127.0.0.1:0", "--traffic")
        board(run.port(), greeting=greeting, seconds=6 if want == 0 else 1)
        code, lines, err = run.finish()
        verdict = [line for line in lines if "PASS" in line or "FAIL" in line]
        results.append((code == want, "exit %s (want %s): %s" % (code, want, verdict[-1:] or err.strip()[-200:])))
    return all(ok for ok, _ in results), "; ".join(detail for _, detail in results)


def case_doctor_firewall():
    """`doctor --json` reads Windows Firewall's settings from the registry. With FIREWALL_BLOCK_RULE set (the
    Wine check writes such a rule into its throwaway prefix: never set it on a real PC), the block rule must be
    found and named and the exit code be 1; otherwise any verdict will do, as long as there is one."""
    port = free_port()
    code, lines, err = Run("doctor", "--bind", "0.0.0.0:%d" % port, "--json").finish()
    findings = [json.loads(line) for line in lines if line.startswith("{")]
    firewall = [f for f in findings if f.get("check") == "firewall"]
    if not firewall:
        return False, "no firewall finding (exit %s): %s" % (code, err.strip()[-300:])
    seen = "; ".join("%s %s" % (f["status"], f["kind"]) for f in firewall)
    rule = os.environ.get("FIREWALL_BLOCK_RULE")
    if rule:
        named = any(f["kind"] == "firewall-drops" and rule in f.get("rule", "") for f in firewall)
        return named and code == 1, "exit %s, %s: %s" % (code, seen, firewall[0].get("message", ""))
    return code in (0, 1), "exit %s, %s" % (code, seen)


CASES = [
    case_board_check_met,
    case_board_check_wrong,
    case_port_in_use,
    case_refused,
    case_json_parses,
    case_udp_echo,
    case_udp_survives_port_unreachable,
    case_preset,
    case_periodic_1ms,
    case_check_board,
    case_doctor_firewall,
]


def main():
    results = []
    for case in CASES:
        name = case.__name__[len("case_"):]
        started = time.monotonic()
        try:
            ok, detail = case()
        except Exception as error:  # a broken case is a failed case, with its reason
            ok, detail = False, "error: %r" % error
        took = time.monotonic() - started
        print("%s %-20s %5.1f s  %s" % ("PASS" if ok else "FAIL", name, took, detail), flush=True)
        results.append({"case": name, "passed": ok, "seconds": round(took, 1), "detail": detail})
    with open(REPORT, "w", encoding="utf-8") as out:
        json.dump(results, out, ensure_ascii=False, indent=1)
    sys.exit(sum(not r["passed"] for r in results))


if __name__ == "__main__":
    main()
