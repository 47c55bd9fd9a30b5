#!/usr/bin/python3
"""Probe a station network namespace from a peer namespace with real connections.

    probe.py STATION_NS PEER_NS PORT ADDR4 ADDR6

Opens a TCP and a UDP listener on PORT (IPv4 and IPv6, one dual-stack socket each) inside
STATION_NS, then from PEER_NS makes a TCP connection and a UDP request/reply to ADDR4 and
ADDR6. Prints one line: tcp4=R tcp6=R udp4=R udp6=R where R is `open` (the connection was
made or the datagram answered), `refused` (RST or ICMP unreachable: a reject) or `dropped`
(no answer). Network namespaces are per thread, so one process holds sockets in both.
"""
import ctypes
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
TIMEOUT = 0.4  # a veth pair answers in well under a millisecond


def enter(ns):
    with open(f"/run/netns/{ns}") as f:
        if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")


def listeners(port):
    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("::", port))
    t.listen(64)
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    u.bind(("::", port))

    def serve_tcp():
        while True:
            try:
                c, _ = t.accept()
                c.close()
            except OSError:
                return

    def serve_udp():
        while True:
            try:
                _, a = u.recvfrom(64)
                u.sendto(b"ok", a)
            except OSError:
                return

    for f in (serve_tcp, serve_udp):
        threading.Thread(target=f, daemon=True).start()


def probe(kind, fam, addr, port, out):
    af = socket.AF_INET if fam == 4 else socket.AF_INET6
    try:
        if kind == "tcp":
            s = socket.socket(af, socket.SOCK_STREAM)
            s.settimeout(TIMEOUT)
            s.connect((addr, port))
            s.close()
        else:
            s = socket.socket(af, socket.SOCK_DGRAM)
            s.settimeout(TIMEOUT)
            s.connect((addr, port))
            s.send(b"x")
            s.recv(64)
            s.close()
        out[f"{kind}{fam}"] = "open"
    except ConnectionRefusedError:
        out[f"{kind}{fam}"] = "refused"
    except OSError:
        out[f"{kind}{fam}"] = "dropped"


def main():
    station, peer, port, a4, a6 = sys.argv[1:6]
    port = int(port)
    enter(station)
    listeners(port)
    out = {}

    def run(kind, fam, addr):
        enter(peer)  # this thread's namespace only
        probe(kind, fam, addr, port, out)

    threads = [
        threading.Thread(target=run, args=(k, f, a))
        for k in ("tcp", "udp")
        for f, a in ((4, a4), (6, a6))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(" ".join(f"{k}={out.get(k, 'error')}" for k in ("tcp4", "tcp6", "udp4", "udp6")))


main()
