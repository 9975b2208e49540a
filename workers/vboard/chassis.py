"""The `chassis_control` program ipmi_sim runs: `chassis.py STATE_DIR set power 1`, `... get boot`.

ipmi_sim waits for it synchronously and resends the IPMI command when it takes about a
second, so it only forwards the request to the virtual board's supervisor over its control
socket and prints the answer (`power:1`, `boot:pxe`). Standard library only: it starts
fresh for every command.
"""
import socket
import sys

TIMEOUT_S = 0.8


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] not in ("set", "get"):
        print(f"usage: {argv[0] if argv else 'chassis.py'} STATE_DIR set|get ITEM [VALUE]", file=sys.stderr)
        return 2
    request = " ".join(argv[1:]) + "\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(TIMEOUT_S)
            s.connect(f"{argv[0]}/control.sock")
            s.sendall(request.encode())
            answer = s.makefile("r").readline().strip()
    except OSError as e:
        print(f"chassis: virtual board supervisor at {argv[0]} not reachable: {e}", file=sys.stderr)
        return 1
    if answer.startswith("error"):
        print(f"chassis: {answer}", file=sys.stderr)
        return 1
    if argv[1] == "get":
        print(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
