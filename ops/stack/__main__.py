"""`python -m ops.stack up|down|status|logs` — the local stack's controls."""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

from services.common.config import get_config

from . import configs, init, paths, service_health, supervisor
from .programs import Program, all_programs, infrastructure, parley

START_TIMEOUT = 180.0


def say(text: str) -> None:
    print(f"parley: {text}", flush=True)


def _port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def check_ports(programs: list[Program]) -> None:
    """Fail with one line per port that something outside the stack holds."""
    host = get_config()["stack.host"]
    states = supervisor.states() if supervisor.running() else {}
    taken = [f"port {port} ({name}) is already in use"
             for program in programs
             if states.get(program.name, {}).get("statename") not in ("RUNNING", "STARTING")
             for name, port in program.ports.items() if _port_taken(host, port)]
    if taken:
        for line in taken:
            say(line)
        say("stop whatever holds it, or move Parley with PARLEY_<SECTION>_<KEY> (config/parley.yaml)")
        sys.exit(1)


def wait_healthy(programs: list[Program], timeout: float = START_TIMEOUT) -> None:
    pending = {p.name: p for p in programs}
    deadline = time.monotonic() + timeout
    problems: dict[str, str] = {}
    while pending and time.monotonic() < deadline:
        for name, program in list(pending.items()):
            problem = program.check()
            if problem is None:
                say(f"  {name} is up")
                del pending[name]
            else:
                problems[name] = problem
        if pending:
            time.sleep(0.25)
    if pending:
        for name in pending:
            say(f"{name} is not healthy: {problems.get(name)} (see var/log/{name}.log)")
        sys.exit(1)


def up() -> None:
    started = time.monotonic()
    cfg = get_config()
    configs.prepare_all()
    supervisor.ensure_running()
    check_ports(all_programs())
    for group, programs in (("servers", infrastructure()), ("parley", parley())):
        if group == "parley":
            for title, step in init.STEPS:
                say(f"init: {title}")
                step()
        say(f"starting {group}")
        for program in programs:
            supervisor.start(program.name)
        wait_healthy(programs)
    say(f"up in {time.monotonic() - started:.1f}s — open http://{cfg['stack.host']}:"
        f"{cfg['traefik.port']}/  (Prometheus: http://{cfg['stack.host']}:{cfg['prometheus.port']}/)")


def down() -> None:
    if not supervisor.running():
        say("not running")
        return
    for group in (parley(), infrastructure()):  # Parley first, then what it stands on
        supervisor.stop_all([program.name for program in group],
                            timeout=max(program.stop_wait for program in group) + 10)
    supervisor.shutdown()
    subprocess.run(["epmd", "-port", str(get_config()["amqp.epmd_port"]), "-kill"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    say("stopped")


def status() -> int:
    states = supervisor.states() if supervisor.running() else {}
    unhealthy = 0
    for program in all_programs():
        state = states.get(program.name, {}).get("statename", "STOPPED")
        problem = program.check() if state == "RUNNING" else "not running"
        unhealthy += problem is not None
        print(f"{program.name:<18} {state:<9} {'healthy' if problem is None else problem}")
    unhealthy += rpc_status(states)
    return 1 if unhealthy else 0


def rpc_status(states: dict[str, dict]) -> int:
    """One line per service: its health RPC's answer and which instance gave it.
    Returns how many did not answer."""
    by_pid = {info.get("pid"): name for name, info in states.items() if info.get("pid")}
    failed = 0
    for answer in service_health.answers():
        name = f"rpc {answer.service}"
        if answer.problem is None:
            who = by_pid.get(answer.pid, f"pid {answer.pid}")
            print(f"{name:<18} {'ANSWERED':<9} healthy (by {who} in {answer.ms:.0f} ms)")
        else:
            failed += 1
            print(f"{name:<18} {'SILENT':<9} {answer.problem}")
    return failed


def logs() -> None:
    subprocess.run(["tail", "-n", "20", "-F", *map(str, sorted(paths.log_dir().glob("*.log")))],
                   check=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ops.stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "logs"])
    command = parser.parse_args().command
    if command == "up":
        up()
    elif command == "down":
        down()
    elif command == "status":
        sys.exit(status())
    else:
        logs()


if __name__ == "__main__":
    main()
